import Foundation
import HTTP
import Testing
import TestSupport

@testable import Providers

@Suite struct OpenAIProviderTests {
    let client = CurlHTTPClient()
    let request = ChatRequest(model: "gpt-4o-mini", messages: [.system("Be brief."), .user("Hi there")], maxOutputTokens: 50)

    func provider(_ fake: FakeOpenAIServer, flavor: OpenAIProvider.Flavor = .openAI, organization: String? = "org-test", timeouts: HTTPTimeouts = HTTPTimeouts()) -> OpenAIProvider {
        OpenAIProvider(name: flavor == .openAI ? "openai" : "local", baseURL: fake.baseURL, apiKey: "sk-test-key", organization: organization, flavor: flavor, transport: client, timeouts: timeouts)
    }

    func run(_ provider: OpenAIProvider) async throws -> (text: String, deltas: Int, usage: TokenUsage?, stop: StopReason?) {
        var text = "", deltas = 0
        var usage: TokenUsage?, stop: StopReason?
        for try await event in provider.stream(request) {
            switch event {
            case .delta(let piece):
                text += piece
                deltas += 1
            case .finished(let u, let s):
                usage = u
                stop = s
            }
        }
        return (text, deltas, usage, stop)
    }

    func expectFailure(_ provider: OpenAIProvider, _ code: ProviderError.Code, sourceLocation: SourceLocation = #_sourceLocation) async -> ProviderError? {
        do {
            _ = try await run(provider)
            Issue.record("expected \(code), got an answer", sourceLocation: sourceLocation)
        } catch let error as ProviderError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(!error.description.contains("sk-test-key"), sourceLocation: sourceLocation)
            return error
        } catch {
            Issue.record("not a ProviderError: \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    @Test func streamsDeltasThenUsageAndSendsTheWireFormat() async throws {
        let fake = try FakeOpenAIServer(defaultScript: FakeLLMScript(text: "Hello there, human.", promptTokens: 2_000, outputTokens: 300, cachedTokens: 1_024))
        let result = try await run(provider(fake))
        #expect(result.text == "Hello there, human.")
        #expect(result.deltas == 3)
        #expect(result.usage == TokenUsage(promptTokens: 2_000, outputTokens: 300, cacheReadTokens: 1_024))
        #expect(result.stop == .endTurn)

        let sent = try #require(fake.requests.first)
        #expect(sent.headers["authorization"] == "Bearer sk-test-key")
        #expect(sent.headers["openai-organization"] == "org-test")
        let body = try #require(sent.json)
        #expect(body["stream"] as? Bool == true)
        #expect((body["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
        #expect(body["max_completion_tokens"] as? Int == 50)
        #expect((body["messages"] as? [[String: String]])?.first == ["role": "system", "content": "Be brief."])
    }

    @Test func organizationHeaderOnlyWhenSet() async throws {
        let fake = try FakeOpenAIServer()
        _ = try await run(provider(fake, organization: nil))
        #expect(fake.requests.first?.headers["openai-organization"] == nil)
    }

    @Test func compatibleServersWithoutUsageGetAnEstimateMarkedEstimated() async throws {
        let fake = try FakeOpenAIServer(defaultScript: FakeLLMScript(text: "No usage from me.", includeUsage: false))
        let result = try await run(provider(fake, flavor: .compatible))
        #expect(result.text == "No usage from me.")
        #expect(result.usage?.isEstimated == true)
        #expect((result.usage?.promptTokens ?? 0) > 0)
        #expect((result.usage?.outputTokens ?? 0) > 0)
        #expect(fake.requests.first?.json?["max_tokens"] as? Int == 50)
    }

    @Test func nonStreamingCompletion() async throws {
        let fake = try FakeOpenAIServer(defaultScript: FakeLLMScript(text: "Whole answer.", promptTokens: 10, outputTokens: 3))
        let response = try await provider(fake).complete(request)
        #expect(response.text == "Whole answer.")
        #expect(response.usage == TokenUsage(promptTokens: 10, outputTokens: 3))
        #expect(fake.requests.first?.json?["stream"] as? Bool == false)
    }

    @Test func rateLimitCarriesRetryAfter() async throws {
        let fake = try FakeOpenAIServer(defaultScript: .failing(.status(429, type: "rate_limit_exceeded", message: "Rate limit reached", retryAfter: "7")))
        let error = await expectFailure(provider(fake), .rateLimited)
        #expect(error?.retryAfter == 7)
        #expect(error?.status == 429)
        #expect(error?.message == "Rate limit reached")
        #expect(error?.isRetryable == true)
    }

    @Test(arguments: [
        (500, "server_error", ProviderError.Code.serverError),
        (503, "server_error", .serverError),
        (529, "overloaded_error", .overloaded),
        (401, "invalid_api_key", .authentication),
        (404, "model_not_found", .modelNotFound),
        (400, "context_length_exceeded", .contextLengthExceeded),
        (400, "invalid_request_error", .badRequest),
        (429, "insufficient_quota", .insufficientQuota),
    ])
    func errorStatusesMapToTypedErrors(status: Int, type: String, code: ProviderError.Code) async throws {
        let fake = try FakeOpenAIServer(defaultScript: .failing(.status(status, type: type, message: "failure \(status)")))
        let error = await expectFailure(provider(fake), code)
        #expect(error?.status == status)
        #expect(error?.provider == "openai")
    }

    @Test func aConnectionDroppedMidStreamIsConnectionLost() async throws {
        let fake = try FakeOpenAIServer(defaultScript: FakeLLMScript(text: "one two three four", fault: .dropAfter(chunks: 2)))
        _ = await expectFailure(provider(fake), .connectionLost)
    }

    @Test func anErrorEventInTheStreamIsTyped() async throws {
        let fake = try FakeOpenAIServer(defaultScript: FakeLLMScript(text: "one two three", fault: .errorEvent(afterChunks: 1, type: "overloaded_error", message: "Overloaded")))
        let error = await expectFailure(provider(fake), .overloaded)
        #expect(error?.message == "Overloaded")
    }

    @Test func garbageIsAMalformedResponse() async throws {
        let fake = try FakeOpenAIServer(defaultScript: .failing(.garbage))
        _ = await expectFailure(provider(fake), .malformedResponse)
    }

    @Test func anHTMLPageWithStatus200IsAMalformedResponse() async throws {
        let fake = try FakeOpenAIServer(defaultScript: .failing(.htmlWith200))
        _ = await expectFailure(provider(fake), .malformedResponse)
        await #expect(throws: ProviderError.self) { try await provider(fake).complete(request) }
    }

    @Test func aStallIsATimeoutNotAHang() async throws {
        let fake = try FakeOpenAIServer(defaultScript: FakeLLMScript(text: "one two three", fault: .stall(afterChunks: 1, for: .seconds(5))))
        let timeouts = HTTPTimeouts(connect: .seconds(2), firstByte: .seconds(2), idle: .milliseconds(300), total: .seconds(30))
        _ = await expectFailure(provider(fake, timeouts: timeouts), .timeout)
        fake.stop()
    }

    @Test func aServerThatAcceptsAndNeverAnswersTimesOut() async throws {
        let fake = try FakeOpenAIServer(defaultScript: .failing(.stall(afterChunks: 0, for: .seconds(5))))
        let timeouts = HTTPTimeouts(connect: .seconds(2), firstByte: .milliseconds(300), idle: .seconds(2), total: .seconds(30))
        _ = await expectFailure(provider(fake, timeouts: timeouts), .timeout)
        fake.stop()
    }

    @Test func aHugeResponseIsRefused() async throws {
        let fake = try FakeOpenAIServer(defaultScript: .failing(.huge(bytes: 20 << 20)))
        _ = await expectFailure(provider(fake), .malformedResponse)
    }

    @Test func nothingListeningIsConnectionLost() async throws {
        let fake = try FakeOpenAIServer()
        fake.stop()
        _ = await expectFailure(provider(fake), .connectionLost)
    }
}
