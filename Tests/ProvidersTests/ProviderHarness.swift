import HTTP
import Testing
import TestSupport

@testable import Providers

/// Builds a provider of either wire format against a fake, and runs a request through it.
struct ProviderHarness {
    static let client = CurlHTTPClient()
    static let apiKey = "sk-test-key-canary"
    static let request = ChatRequest(model: "test-model", messages: [.system("Be brief."), .user("Hi there")], maxOutputTokens: 50)

    static func provider(_ fake: FakeLLMServer, timeouts: HTTPTimeouts = HTTPTimeouts(), compatible: Bool = false) -> any LLMProvider {
        switch fake.wire {
        case .openAI:
            OpenAIProvider(name: compatible ? "local" : "openai", baseURL: fake.baseURL, apiKey: apiKey, organization: compatible ? nil : "org-test", flavor: compatible ? .compatible : .openAI, transport: client, timeouts: timeouts)
        case .anthropic:
            AnthropicProvider(baseURL: fake.baseURL, apiKey: apiKey, transport: client, timeouts: timeouts)
        }
    }

    struct Outcome {
        var text = ""
        var deltas = 0
        var usage: TokenUsage?
        var stop: StopReason?
    }

    static func run(_ provider: any LLMProvider, _ request: ChatRequest = request) async throws -> Outcome {
        var outcome = Outcome()
        for try await event in provider.stream(request) {
            switch event {
            case .delta(let piece):
                outcome.text += piece
                outcome.deltas += 1
            case .finished(let usage, let stop):
                outcome.usage = usage
                outcome.stop = stop
            }
        }
        return outcome
    }

    /// Runs a request expected to fail with `code`; checks the error never carries the key.
    static func expectFailure(_ provider: any LLMProvider, _ code: ProviderError.Code, sourceLocation: SourceLocation = #_sourceLocation) async -> ProviderError? {
        do {
            _ = try await run(provider)
            Issue.record("expected \(code), got an answer", sourceLocation: sourceLocation)
        } catch let error as ProviderError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(!error.description.contains(apiKey), sourceLocation: sourceLocation)
            #expect(error.provider == provider.name, sourceLocation: sourceLocation)
            return error
        } catch {
            Issue.record("not a ProviderError: \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }
}
