import NIOCore
public import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 client for one keep-alive connection to the example server on loopback: what
/// the tests and the load run send requests with.
public struct LoopbackHTTPClient {
    /// An answer.
    public struct Response: Sendable {
        /// The status code.
        public var status: Int
        /// The header fields, in order.
        public var headers: [(String, String)]
        /// The body.
        public var body: [UInt8]

        /// The body as UTF-8 text.
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// The connection failed or the server closed it.
    public struct ConnectionClosed: Error {}

    private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator

    /// Opens a connection to `127.0.0.1:port`, runs `body` with it, and closes it.
    public static func withConnection<Result>(
        port: Int, _ body: (inout LoopbackHTTPClient) async throws -> Result
    ) async throws -> Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var client = LoopbackHTTPClient(outbound: outbound, inbound: inbound.makeAsyncIterator())
            return try await body(&client)
        }
    }

    /// Sends a request and reads its answer.
    public mutating func send(
        _ method: HTTPMethod, _ path: String, body: [UInt8] = [], headers: [(String, String)] = []
    ) async throws -> Response {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: "127.0.0.1")
        head.headers.add(name: "Content-Length", value: "\(body.count)")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        try await outbound.write(.head(head))
        if !body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
        try await outbound.write(.end(nil))

        var response = Response(status: 0, headers: [], body: [])
        while let part = try await inbound.next() {
            switch part {
            case .head(let head):
                response.status = Int(head.status.code)
                response.headers = head.headers.map { ($0.name, $0.value) }
            case .body(let buffer):
                response.body.append(contentsOf: buffer.readableBytesView)
            case .end:
                return response
            }
        }
        throw ConnectionClosed()
    }

    /// Sends a request with a JSON body.
    public mutating func post(_ path: String, json: String, headers: [(String, String)] = []) async throws
        -> Response
    {
        try await send(
            .POST, path, body: Array(json.utf8), headers: [("Content-Type", "application/json")] + headers)
    }
}
