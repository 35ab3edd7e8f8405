import Foundation
import Synchronization
import Testing
import TestSupport

@testable import HTTP

@Suite struct CurlHTTPClientTests {
    let client = CurlHTTPClient()

    @Test func postsABodyAndReadsStatusHeadersAndBody() async throws {
        let server = try FakeHTTPServer { request, writer in
            writer.respond(status: 201, headers: [("Content-Type", "application/json"), ("X-Echo", request.headers["x-key"] ?? "")], body: "{\"got\":\(request.body.count)}")
        }
        let response = try await client.execute(HTTPRequest(method: "POST", url: server.baseURL + "/v1/things", headers: [("X-Key", "abc")], body: Data("hello".utf8)))
        #expect(response.head.status == 201)
        #expect(response.head["x-echo"] == "abc")
        #expect(response.head["Content-Type"] == "application/json")
        #expect(String(decoding: try await response.collect(upTo: 1 << 20), as: UTF8.self) == "{\"got\":5}")
        #expect(server.requests.first?.method == "POST")
        #expect(server.requests.first?.path == "/v1/things")
        #expect(server.requests.first?.headers["expect"] == nil)
    }

    @Test func streamsChunksAsTheServerSendsThem() async throws {
        let gate = Gate()
        let server = try FakeHTTPServer { _, writer in
            writer.head(status: 200, headers: [("Content-Type", "text/event-stream")])
            for index in 0..<3 {
                writer.send("data: \(index)\n\n")
                gate.waitForOpen()  // the next chunk leaves only after the client saw this one
            }
            writer.end()
        }
        let response = try await client.execute(HTTPRequest(url: server.baseURL + "/stream"))
        var received: [String] = []
        for try await chunk in response.body {
            received.append(String(decoding: chunk, as: UTF8.self))
            gate.open()
        }
        #expect(received == ["data: 0\n\n", "data: 1\n\n", "data: 2\n\n"])
    }

    /// Twenty requests at once, then one alone, then twenty at once again: the second burst
    /// finds the first one's connections still open (libcurl's default keeps four per transfer
    /// in flight, so the lone request closed most of them).
    @Test func aBurstsConnectionsOutlastAQuietMoment() async throws {
        let burst = 20
        let arrivals = Barrier()
        let server = try FakeHTTPServer { request, writer in
            // Each burst's requests are answered only once all of them have arrived, so the
            // burst holds `burst` connections at once.
            if request.path != "/quiet" { arrivals.arriveAndWait(group: request.path, count: burst) }
            writer.respond(status: 200, body: "ok")
        }
        func get(_ path: String) async throws {
            let response = try await client.execute(HTTPRequest(url: server.baseURL + path))
            _ = try await response.collect(upTo: 100)
        }
        for path in ["/first", "/quiet", "/second"] {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<(path == "/quiet" ? 1 : burst) { group.addTask { try await get(path) } }
                try await group.waitForAll()
            }
        }
        #expect(server.requests.count == 2 * burst + 1)
        #expect(server.connectionCount == burst)
    }

    @Test func reusesTheConnectionForSequentialRequests() async throws {
        let server = try FakeHTTPServer { _, writer in writer.respond(status: 200, body: "ok") }
        for _ in 0..<5 {
            let response = try await client.execute(HTTPRequest(url: server.baseURL + "/"))
            _ = try await response.collect(upTo: 100)
        }
        #expect(server.requests.count == 5)
        #expect(server.connectionCount == 1)
    }

    @Test func aServerThatNeverAnswersHitsTheFirstByteTimeout() async throws {
        let server = try FakeHTTPServer { _, writer in writer.pause(.seconds(5)) }
        let timeouts = HTTPTimeouts(connect: .seconds(2), firstByte: .milliseconds(300), idle: .seconds(5), total: .seconds(10))
        await #expect { try await client.execute(HTTPRequest(url: server.baseURL + "/", timeouts: timeouts)) } throws: { error in
            (error as? HTTPError)?.code == .firstByteTimeout
        }
        server.stop()
    }

    @Test func aStallInTheMiddleOfABodyHitsTheIdleTimeout() async throws {
        let server = try FakeHTTPServer { _, writer in
            writer.head(status: 200)
            writer.send("data: first\n\n")
            writer.pause(.seconds(5))
        }
        let timeouts = HTTPTimeouts(connect: .seconds(2), firstByte: .seconds(2), idle: .milliseconds(300), total: .seconds(10))
        let response = try await client.execute(HTTPRequest(url: server.baseURL + "/", timeouts: timeouts))
        var chunks = 0
        await #expect { for try await _ in response.body { chunks += 1 } } throws: { error in
            (error as? HTTPError)?.code == .idleTimeout
        }
        #expect(chunks == 1)
        server.stop()
    }

    @Test func aConnectionDroppedMidChunkIsConnectionLost() async throws {
        let server = try FakeHTTPServer { _, writer in
            writer.head(status: 200)
            writer.send("data: complete\n\n")
            writer.raw(Array("40\r\ndata: cut in the mid".utf8))
            writer.drop()
        }
        let response = try await client.execute(HTTPRequest(url: server.baseURL + "/"))
        await #expect { for try await _ in response.body {} } throws: { error in
            (error as? HTTPError)?.code == .connectionLost
        }
    }

    @Test func garbageInsteadOfAnHTTPResponseIsInvalidResponse() async throws {
        let server = try FakeHTTPServer { _, writer in
            writer.raw([0xde, 0xad, 0xbe, 0xef, 0x00, 0x0a, 0x0d, 0x0a])
            writer.drop()
        }
        await #expect { try await client.execute(HTTPRequest(url: server.baseURL + "/")) } throws: { error in
            guard let error = error as? HTTPError else { return false }
            return error.code == .invalidResponse || error.code == .connectionLost
        }
    }

    @Test func aResponseOverTheLimitIsRefused() async throws {
        let small = CurlHTTPClient(options: .init(maxResponseBytes: 1 << 20))
        let server = try FakeHTTPServer { _, writer in
            let megabyte = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
            writer.head(status: 200, contentLength: 10 << 20)
            for _ in 0..<10 where writer.send(megabyte) {}
        }
        let response = try await small.execute(HTTPRequest(url: server.baseURL + "/"))
        await #expect { for try await _ in response.body {} } throws: { error in
            (error as? HTTPError)?.code == .responseTooLarge
        }
    }

    @Test func nothingListeningIsCouldNotConnect() async throws {
        let closed = try ReservedPort()
        await #expect { try await client.execute(HTTPRequest(url: closed.baseURL + "/")) } throws: { error in
            (error as? HTTPError)?.code == .couldNotConnect
        }
    }

    @Test func invalidURLsAreRefusedBeforeAnyIO() async {
        await #expect { try await client.execute(HTTPRequest(url: "ftp://example.invalid/")) } throws: { error in
            (error as? HTTPError)?.code == .invalidURL
        }
    }

    @Test func cancellingTheConsumerAbortsTheTransfer() async throws {
        let disconnected = Gate()
        let server = try FakeHTTPServer { _, writer in
            writer.head(status: 200)
            // Keep streaming until the client goes away; then report it.
            while writer.send("data: tick\n\n") { writer.pause(.milliseconds(10)) }
            disconnected.open()
        }
        let response = try await client.execute(HTTPRequest(url: server.baseURL + "/"))
        let received = Mutex(0)
        let consumer = Task {
            for try await _ in response.body { received.withLock { $0 += 1 } }
        }
        #expect(await waitUntil { received.withLock { $0 } > 0 }, "the stream is flowing")
        consumer.cancel()
        _ = await consumer.result
        // The server notices the closed connection (a write fails): the transfer was aborted.
        #expect(disconnected.waitForOpen(timeout: .seconds(10)))
    }
}

/// Holds server threads until a group's last member arrives.
final class Barrier: Sendable {
    private let condition = NSCondition()
    private nonisolated(unsafe) var arrived: [String: Int] = [:]

    /// Waits (up to ten seconds) until `count` callers have arrived in `group`.
    func arriveAndWait(group: String, count: Int) {
        condition.lock()
        defer { condition.unlock() }
        arrived[group, default: 0] += 1
        condition.broadcast()
        let deadline = Date().addingTimeInterval(10)
        while arrived[group, default: 0] < count, condition.wait(until: deadline) {}
    }
}

/// A one-shot signal between a server thread and a test.
final class Gate: Sendable {
    private let condition = NSCondition()
    private nonisolated(unsafe) var isOpen = false
    private nonisolated(unsafe) var generation = 0

    func open() {
        condition.lock()
        isOpen = true
        generation += 1
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until the next `open()` (or until one already happened since the last wait).
    @discardableResult
    func waitForOpen(timeout: Duration = .seconds(10)) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds))
        while !isOpen {
            if !condition.wait(until: deadline) { return false }
        }
        isOpen = false
        return true
    }
}
