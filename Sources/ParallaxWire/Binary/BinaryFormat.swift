/// The tags of the binary Codable format used on the worker channel.
///
/// Every value is one tag byte and a payload. Composites carry their byte length, so a reader can
/// skip a value it does not need without parsing it, and every length is checked against the
/// input before anything is read or allocated. Fixed-width fields are little-endian (LE); a
/// varint is LEB128 (7 bits a byte, low bits first, at most 10 bytes).
///
/// ```
/// nil        0x00
/// false/true 0x01 / 0x02
/// int        0x03 zigzag varint            (every signed integer type)
/// uint       0x04 varint                   (every unsigned integer type)
/// double     0x05 IEEE 754 bits, 8 bytes LE
/// float      0x06 IEEE 754 bits, 4 bytes LE
/// string     0x07 varint length, UTF-8
/// bytes      0x08 UInt32 LE length, raw    ([UInt8])
/// keyed      0x09 UInt32 LE length of the rest, UInt32 LE count,
///                 count × (varint key length, key UTF-8, value)
/// unkeyed    0x0A UInt32 LE length of the rest, UInt32 LE count, count × value
/// doubles    0x0B UInt32 LE count, count × 8 bytes LE ([Double])
/// ints       0x0C UInt32 LE count, count × 8 bytes LE ([Int])
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

    /// The tag that starts every value.
    static let tagSize = 1
    /// A fixed-width length or count: a UInt32.
    static let lengthSize = 4
    /// Bytes of a composite header after the tag: body length and count.
    static let compositeHeaderSize = 2 * lengthSize
    /// The tag and one length or count: where the elements of `bytes`, `doubles` and `ints`
    /// start.
    static let lengthPrefixedHeaderSize = tagSize + lengthSize
}
