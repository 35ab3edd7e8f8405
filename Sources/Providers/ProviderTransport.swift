import HTTP

/// The HTTP exchange every network provider shares: send, map a non-2xx status to a typed error,
/// read a whole body, and run a streaming call as a cancellable task.
struct ProviderTransport: Sendable {
    let provider: String
    let transport: any HTTPTransport

    /// The most bytes of an error body read for its message.
    static let errorBodyLimit = 1 << 20
    /// An answer larger than this is not an answer (a 64k-token stream is about 12 MB of events).
    static let maxResponseBytes = 16 << 20

    /// Sends `request`; returns the response if its status is 2xx, else the provider's error.
    func send(_ request: HTTPRequest) async throws(ProviderError) -> HTTPStreamingResponse {
        let response: HTTPStreamingResponse
        do {
            response = try await transport.execute(request)
        } catch {
            throw ProviderError(error, provider: provider)
        }
        guard (200..<300).contains(response.head.status) else {
            // A body lost while read: the status alone still says what failed.
            let body = (try? await response.collect(upTo: Self.errorBodyLimit)) ?? []
            throw ProviderError(status: response.head.status, body: body, headers: response.head, provider: provider)
        }
        return response
    }

    /// Sends `request` and reads the whole body.
    func sendAndCollect(_ request: HTTPRequest) async throws(ProviderError) -> (HTTPResponseHead, [UInt8]) {
        let response = try await send(request)
        let body: [UInt8]
        do {
            body = try await response.collect(upTo: Self.maxResponseBytes)
        } catch {
            throw ProviderError(error, provider: provider)
        }
        if let error = ProviderError(embeddedIn: body, status: response.head.status, provider: provider) { throw error }
        return (response.head, body)
    }

    /// A stream fed by `produce` on its own task; cancelling the consumer cancels the task (and
    /// with it the HTTP transfer).
    func stream(
        _ produce: @escaping @Sendable (AsyncThrowingStream<ChatStreamEvent, any Error>.Continuation) async throws(ProviderError) -> Void
    ) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        let provider = provider
        return AsyncThrowingStream { continuation in
            let task = Task {
                do throws(ProviderError) {
                    try await produce(continuation)
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: Task.isCancelled ? ProviderError(.cancelled, provider: provider, message: "cancelled") : error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Reads the server-sent events of a streamed answer, passing each to `handle` until it says the
    /// answer is complete (`true`). Transport failures, an HTML page instead of a stream and a
    /// stream over ``maxResponseBytes`` become typed errors.
    func readEvents(
        of response: HTTPStreamingResponse, _ handle: (ServerSentEvent) throws(ProviderError) -> Bool
    ) async throws(ProviderError) {
        let contentType = response.head["content-type"] ?? ""
        if contentType.contains("text/html") {
            throw ProviderError(.malformedResponse, provider: provider, status: response.head.status, message: "expected an event stream, got an HTML page")
        }
        if contentType.contains("json") {
            // A 200 carrying an error object (some proxies and compatible servers answer so):
            // the provider's own reason, not "the stream ended without its final event".
            let body = (try? await response.collect(upTo: Self.errorBodyLimit)) ?? []  // as above
            throw ProviderError(embeddedIn: body, status: response.head.status, provider: provider)
                ?? ProviderError(.malformedResponse, provider: provider, status: response.head.status, message: "expected an event stream, got JSON: \(String(decoding: body.prefix(120), as: UTF8.self).filter { !$0.isNewline })")
        }
        var parser = SSEParser()
        var received = 0
        var done = false
        do {
            for try await chunk in response.body {
                received += chunk.count
                if received > Self.maxResponseBytes {
                    throw ProviderError(.malformedResponse, provider: provider, message: "the stream exceeded \(Self.maxResponseBytes) bytes")
                }
                for event in parser.parse(chunk) where !done {
                    done = try handle(event)
                }
            }
            if let last = parser.finish(), !done { _ = try handle(last) }
        } catch let error as ProviderError {
            throw error
        } catch let error as HTTPError {
            throw ProviderError(error, provider: provider)
        } catch {
            throw ProviderError(.connectionLost, provider: provider, message: "\(error)")
        }
    }
}
