/// The shape of every call that crosses the channel, a task in a worker or a service call in the
/// parent: decode the input, run the body, encode its output. Each of the three ways to fail
/// becomes a `Failure` of the caller's making.
enum DecodeRunEncode {
    @inline(__always)
    static func run<Input: Decodable, Output: Encodable, Failure: Error>(
        _ input: ArraySlice<UInt8>, as _: Input.Type, _ body: (Input) async throws -> Output,
        undecodable: (any Error) -> Failure, threw: (any Error) -> Failure,
        unencodable: (any Error) -> Failure
    ) async -> Result<[UInt8], Failure> {
        let decoded: Input
        do {
            decoded = try WireCodec.decode(Input.self, from: input)
        } catch {
            return .failure(undecodable(error))
        }
        let output: Output
        do {
            output = try await body(decoded)
        } catch {
            return .failure(threw(error))
        }
        do {
            return .success(try WireCodec.encode(output))
        } catch {
            return .failure(unencodable(error))
        }
    }
}
