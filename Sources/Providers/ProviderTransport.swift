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
            let body = (try? await response.collect(upTo: Self.errorBodyLimit)) ?? []
            throw ProviderError(status: response.head.status, body: body, headers: response.head, provider: provider)
        }
        return response
    }

    /// Sends `request` and reads the whole body.
    func sendAndCollect(_ request: HTTPRequest) async throws(ProviderError) -> (HTTPResponseHead, [UInt8]) {
        let response = try await send(request)
        do {
            return (response.head, try await response.collect(upTo: Self.maxResponseBytes))
        } catch {
            throw ProviderError(error, provider: provider)
        }
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
}
