// Writes valid inputs for the fuzzers into the directory given as the argument, so that each run
// starts from well-formed values as well as from the committed corpus. Built by Fuzz/run.
#if canImport(Glibc)
    import Glibc
#endif

@main
enum SeedCorpus {
    static func main() throws {
        let directory = CommandLine.arguments[1]
        var seeds = try WireFuzzing.codecSeeds().map { ("codec", $0) }
        let frames: [Frame] = [
            Handshake(registryFingerprint: 0xDEAD_BEEF).frame(),
            Frame(kind: .run, id: 1, payload: try RunRequest.payload(name: "task", input: 7)),
            Frame(kind: .result, id: 2, payload: try BinaryEncoder.encode("done")),
            Frame(
                kind: .failure, id: 3,
                payload: try BinaryEncoder.encode(TaskError(kind: .threw, type: "E", message: "m"))),
            Frame(kind: .cancel, id: 4, payload: []),
            Frame(
                kind: .serviceCall, id: 6,
                payload: ServicePayload.Call(method: "store", taskID: 1, input: try BinaryEncoder.encode(5))
                    .payload),
            Frame(
                kind: .serviceReply, id: 6,
                payload: ServicePayload.reply(.success(try BinaryEncoder.encode(7)))),
            Frame(
                kind: .serviceReply, id: 7,
                payload: ServicePayload.reply(
                    .failure(ServiceError(kind: .threw, method: "store", message: "no")))),
            Frame(kind: .serviceCancel, id: 7, payload: []),
            Frame(
                kind: .runTraced, id: 8,
                payload: TracedPayload.wrap(
                    TracedPayload.context([
                        (key: "traceparent", value: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
                    ])!,
                    around: try RunRequest.payload(name: "task", input: 7))),
        ]
        var batch = BatchPayload.RequestWriter(name: "map")
        for value in 0..<3 { try batch.append(value) }
        var reply = BatchPayload.ReplyWriter(count: 2)
        reply.append(.success(try BinaryEncoder.encode(9)))
        reply.append(.failure(TaskError(kind: .threw, type: "E", message: "m")))
        let batches = [
            Frame(kind: .runBatch, id: 5, payload: batch.bytes),
            Frame(kind: .batchResult, id: 2, payload: reply.bytes),
        ]
        // The first byte of a frame input sets how the decoder's reads are split.
        seeds += (frames + batches).enumerated().map {
            ("frame", [UInt8($0.offset * 7 % 32)] + $0.element.encoded())
        }
        seeds.append(("frame", [31] + (frames + batches).flatMap { $0.encoded() }))

        for (index, (target, bytes)) in seeds.enumerated() {
            let path = "\(directory)/\(target)/seed-\(index)"
            guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
            _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
        }
    }
}
