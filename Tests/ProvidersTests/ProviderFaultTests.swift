import HTTP
import Testing
import TestSupport

@testable import Providers

/// Every fault the fakes can produce, against both wire formats.
@Suite struct ProviderFaultTests {
    typealias H = ProviderHarness
    static let wires: [FakeLLMServer.Wire] = [.openAI, .anthropic]

    @Test(arguments: wires)
    func rateLimitCarriesRetryAfter(wire: FakeLLMServer.Wire) async throws {
        let type = wire == .openAI ? "rate_limit_exceeded" : "rate_limit_error"
        let fake = try FakeLLMServer(wire, defaultScript: .failing(.status(429, type: type, message: "Rate limit reached", retryAfter: "7")))
        let error = await H.expectFailure(H.provider(fake), .rateLimited)
        #expect(error?.retryAfter == 7)
        #expect(error?.status == 429)
        #expect(error?.message == "Rate limit reached")
        #expect(error?.isRetryable == true)
    }

    @Test(arguments: wires, [
        (500, "api_error", ProviderError.Code.serverError),
        (502, "api_error", .serverError),
        (503, "api_error", .serverError),
        (529, "overloaded_error", .overloaded),
        (401, "authentication_error", .authentication),
        (403, "permission_error", .authentication),
        (404, "not_found_error", .modelNotFound),
        (400, "invalid_request_error", .badRequest),
    ])
    func errorStatusesMapToTypedErrors(wire: FakeLLMServer.Wire, fault: (Int, String, ProviderError.Code)) async throws {
        let (status, type, code) = fault
        let fake = try FakeLLMServer(wire, defaultScript: .failing(.status(status, type: type, message: "failure \(status)")))
        let error = await H.expectFailure(H.provider(fake), code)
        #expect(error?.status == status)
        #expect(error?.message == "failure \(status)")
    }

    @Test(arguments: wires)
    func contextLengthIsRecognised(wire: FakeLLMServer.Wire) async throws {
        let (type, message) = wire == .openAI
            ? ("context_length_exceeded", "This model's maximum context length is 128000 tokens.")
            : ("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum")
        let fake = try FakeLLMServer(wire, defaultScript: .failing(.status(400, type: type, message: message)))
        _ = await H.expectFailure(H.provider(fake), .contextLengthExceeded)
    }

    @Test(arguments: wires)
    func aConnectionDroppedMidStreamIsConnectionLost(wire: FakeLLMServer.Wire) async throws {
        let fake = try FakeLLMServer(wire, defaultScript: FakeLLMScript(text: "one two three four", fault: .dropAfter(chunks: 2)))
        _ = await H.expectFailure(H.provider(fake), .connectionLost)
    }

    @Test(arguments: wires)
    func anOverloadedErrorInTheMiddleOfTheStreamIsTyped(wire: FakeLLMServer.Wire) async throws {
        let fake = try FakeLLMServer(wire, defaultScript: FakeLLMScript(text: "one two three", fault: .errorEvent(afterChunks: 1, type: "overloaded_error", message: "Overloaded")))
        let error = await H.expectFailure(H.provider(fake), .overloaded)
        #expect(error?.message == "Overloaded")
    }

    @Test(arguments: wires)
    func garbageIsAMalformedResponse(wire: FakeLLMServer.Wire) async throws {
        let fake = try FakeLLMServer(wire, defaultScript: .failing(.garbage))
        _ = await H.expectFailure(H.provider(fake), .malformedResponse)
    }

    @Test(arguments: wires)
    func anHTMLPageWithStatus200IsAMalformedResponse(wire: FakeLLMServer.Wire) async throws {
        let fake = try FakeLLMServer(wire, defaultScript: .failing(.htmlWith200))
        _ = await H.expectFailure(H.provider(fake), .malformedResponse)
        await #expect(throws: ProviderError.self) { try await H.provider(fake).complete(H.request) }
    }

    /// A 200 whose body is the provider's error object: reported with the provider's own reason
    /// and kind, streamed or not (before: "the stream ended without its final event").
    @Test(arguments: wires)
    func anErrorBodyWithStatus200CarriesTheProvidersReason(wire: FakeLLMServer.Wire) async throws {
        let type = wire == .openAI ? "insufficient_quota" : "overloaded_error"
        let fake = try FakeLLMServer(wire, defaultScript: .failing(.errorWith200(type: type, message: "The upstream said no, politely")))
        let expected: ProviderError.Code = wire == .openAI ? .insufficientQuota : .overloaded
        let streamed = await H.expectFailure(H.provider(fake), expected)
        #expect(streamed?.message.contains("The upstream said no, politely") == true, "\(String(describing: streamed))")
        #expect(streamed?.status == 200)
        do {
            _ = try await H.provider(fake).complete(H.request)
            Issue.record("an error body was taken for an answer")
        } catch {
            #expect(error.code == expected && error.message.contains("The upstream said no, politely"), "\(error)")
        }
    }

    @Test(arguments: wires)
    func aStallMidStreamIsATimeoutNotAHang(wire: FakeLLMServer.Wire) async throws {
        let fake = try FakeLLMServer(wire, defaultScript: FakeLLMScript(text: "one two three", fault: .stall(afterChunks: 1, for: .seconds(5))))
        let timeouts = HTTPTimeouts(connect: .seconds(2), firstByte: .seconds(2), idle: .milliseconds(300), total: .seconds(30))
        _ = await H.expectFailure(H.provider(fake, timeouts: timeouts), .timeout)
        fake.stop()
    }

    @Test(arguments: wires)
    func aServerThatAcceptsAndNeverAnswersTimesOut(wire: FakeLLMServer.Wire) async throws {
        let fake = try FakeLLMServer(wire, defaultScript: .failing(.stall(afterChunks: 0, for: .seconds(5))))
        let timeouts = HTTPTimeouts(connect: .seconds(2), firstByte: .milliseconds(300), idle: .seconds(2), total: .seconds(30))
        _ = await H.expectFailure(H.provider(fake, timeouts: timeouts), .timeout)
        fake.stop()
    }

    @Test(arguments: wires)
    func aHugeResponseIsRefused(wire: FakeLLMServer.Wire) async throws {
        let fake = try FakeLLMServer(wire, defaultScript: .failing(.huge(bytes: 20 << 20)))
        _ = await H.expectFailure(H.provider(fake), .malformedResponse)
    }

    @Test(arguments: wires)
    func aTenMegabyteStreamWithoutAnEndIsATypedError(wire: FakeLLMServer.Wire) async throws {
        let fake = try FakeLLMServer(wire, defaultScript: .failing(.huge(bytes: 10 << 20)))
        _ = await H.expectFailure(H.provider(fake), .connectionLost)
    }

    @Test(arguments: wires)
    func truncatedJSONIsAMalformedResponse(wire: FakeLLMServer.Wire) async throws {
        let fake = try FakeLLMServer(wire, defaultScript: .failing(.truncatedJSON))
        _ = await H.expectFailure(H.provider(fake), .malformedResponse)
        await #expect { try await H.provider(fake).complete(H.request) } throws: { error in
            (error as? ProviderError)?.code == .malformedResponse
        }
    }

    @Test(arguments: wires)
    func nothingListeningIsConnectionLost(wire: FakeLLMServer.Wire) async throws {
        let closed = try ReservedPort()
        let provider: any LLMProvider =
            switch wire {
            case .openAI: OpenAIProvider(name: "openai", baseURL: closed.baseURL + "/v1", apiKey: H.apiKey, flavor: .openAI, transport: H.client)
            case .anthropic: AnthropicProvider(baseURL: closed.baseURL, apiKey: H.apiKey, transport: H.client)
            }
        _ = await H.expectFailure(provider, .connectionLost)
    }

    @Test(arguments: wires)
    func cancellingTheConsumerCancelsTheRequest(wire: FakeLLMServer.Wire) async throws {
        // 40 s of answer: the cancel, sent once the request reached the server, comes long before
        // its end even when a loaded machine stalls the test for seconds.
        let fake = try FakeLLMServer(wire, defaultScript: FakeLLMScript(text: String(repeating: "word ", count: 2_000), pace: .milliseconds(20)))
        let provider = H.provider(fake)
        let task = Task { try await H.run(provider) }
        #expect(await waitUntil { fake.requests.count == 1 }, "the request is under way")
        task.cancel()
        // A cancelled iteration either ends early or throws `cancelled`; it never completes.
        switch await task.result {
        case .success(let outcome):
            #expect(outcome.usage == nil)
            #expect(outcome.deltas < 2_000)
        case .failure(let error):
            #expect((error as? ProviderError)?.code == .cancelled, "\(error)")
        }
    }
}
