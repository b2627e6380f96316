/// The tags of the binary Codable format used on the worker channel.
///
/// Every value is one tag byte and a payload. Composites carry their byte length, so a reader can
/// skip a value it does not need without parsing it, and every length is checked against the
/// input before anything is read or allocated.
///
/// ```
/// nil        0x00
/// false/true 0x01 / 0x02
/// int        0x03 Int64 LE              (every signed integer type)
/// uint       0x04 UInt64 LE             (every unsigned integer type)
/// double     0x05 IEEE 754 bits LE
/// float      0x06 IEEE 754 bits LE
/// string     0x07 UInt32 length, UTF-8
/// bytes      0x08 UInt32 length, raw    ([UInt8])
/// keyed      0x09 UInt32 body length, UInt32 count, count × (UInt32 key length, key UTF-8, value)
/// unkeyed    0x0A UInt32 body length, UInt32 count, count × value
/// doubles    0x0B UInt32 count, count × 8 bytes ([Double])
/// ints       0x0C UInt32 count, count × 8 bytes ([Int])
/// ```
enum BinaryTag: UInt8 {
    case null = 0x00
    case `false` = 0x01
    case `true` = 0x02
    case int = 0x03
    case uint = 0x04
    case double = 0x05
    case float = 0x06
    case string = 0x07
    case bytes = 0x08
    case keyed = 0x09
    case unkeyed = 0x0A
    case doubles = 0x0B
    case ints = 0x0C

    /// Bytes of a composite header after the tag: body length and count.
    static let compositeHeaderSize = 8
}
