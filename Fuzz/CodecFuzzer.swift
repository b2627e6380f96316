/// libFuzzer entry point for the binary codec. Built by Fuzz/run.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCodec(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    do {
        try WireFuzzing.checkCodec(Array(UnsafeRawBufferPointer(start: start, count: count)))
    } catch {
        fatalError("\(error)")  // libFuzzer keeps the input that got here
    }
    return 0
}
