/// libFuzzer entry point for the frame decoder and the payload parsers. Built by Fuzz/run.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrames(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    do {
        try WireFuzzing.checkFrames(Array(UnsafeRawBufferPointer(start: start, count: count)))
    } catch {
        fatalError("\(error)")  // libFuzzer keeps the input that got here
    }
    return 0
}
