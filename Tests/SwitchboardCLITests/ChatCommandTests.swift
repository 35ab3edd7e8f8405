import Foundation
import Store
import Testing
import TestSupport

@Suite struct ChatCommandTests {
    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func onAFreshMachineTheDemoProviderAnswersLabelled() async throws {
        let directory = try TemporaryDirectory()
        let result = try await SwitchboardProcess(workingDirectory: directory.path).run(["chat", "Hello?"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("[demo] "))
        #expect(result.stdout.hasSuffix("\n"))
        #expect(result.stdout.contains("“Hello?”"))
        #expect(result.stderr.contains("demo (offline demo) · switchboard-demo ·"))
        #expect(result.stderr.contains("first token"))
    }

    @Test func streamsFromOpenAIAndSummarisesCost() async throws {
        let fake = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(text: "Paris is the capital of France.", promptTokens: 2_000, outputTokens: 300, cachedTokens: 1_024))
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: ["OPENAI_API_KEY": "sk-cli-canary", "OPENAI_BASE_URL": fake.baseURL])
        // The fake reports 2,000 prompt tokens, so the question must be about that long:
        // usage beyond what the request could use is clamped (UsageCheck).
        let question = "Capital of France? " + String(repeating: "The Seine flows through Paris. ", count: 400).trimmingCharacters(in: .whitespaces)
        let result = try await runner.run(["chat", "--model", "gpt-4o-mini", question])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "Paris is the capital of France.\n")
        #expect(result.stderr.contains("openai · gpt-4o-mini · 2000 in / 300 out tokens · $0.000403"))
        let sent = try #require(fake.requests.first?.json)
        #expect(sent["model"] as? String == "gpt-4o-mini")
        #expect((sent["messages"] as? [[String: String]])?.last?["content"] == question, "the question reaches the model whole")
        #expect(!result.stdout.contains("sk-cli-canary") && !result.stderr.contains("sk-cli-canary"))
    }

    @Test func jsonCarriesTheSeedsFields() async throws {
        let fake = try FakeLLMServer(.anthropic, defaultScript: FakeLLMScript(text: "Bonjour.", promptTokens: 10, outputTokens: 4))
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: ["ANTHROPIC_API_KEY": "sk-ant-x", "ANTHROPIC_BASE_URL": fake.baseURL])
        let result = try await runner.run(["chat", "--json", "--model", "claude-haiku-4-5"], input: "Say hello in French\n")
        #expect(result.status == 0, "\(result.stderr)")
        let object = try json(result.stdout)
        #expect(object["response_content"] as? String == "Bonjour.")
        #expect(object["model_used"] as? String == "claude-haiku-4-5")
        #expect(object["provider"] as? String == "anthropic")
        #expect(object["had_errors"] as? Bool == false)
        #expect((object["usage"] as? [String: Any])?["output_tokens"] as? Int == 4)
        #expect(abs((object["cost_estimate"] as? Double ?? 0) - (10 * 1.0 + 4 * 5.0) / 1_000_000) < 1e-12)
        #expect((fake.requests.first?.json?["messages"] as? [[String: String]])?.first?["content"] == "Say hello in French")
    }

    @Test func noStreamWaitsForTheWholeAnswer() async throws {
        let fake = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(text: "All at once."))
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: ["OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": fake.baseURL])
        let result = try await runner.run(["chat", "--no-stream", "--model", "gpt-4o-mini", "hi"])
        #expect(result.status == 0)
        #expect(result.stdout == "All at once.\n")
        #expect(fake.requests.first?.json?["stream"] as? Bool == false)
        #expect(result.stderr.contains("not streamed"))
    }

    @Test func aProviderFailureIsOneLineAndExitCodeOne() async throws {
        let fake = try FakeLLMServer(.openAI, defaultScript: .failing(.status(429, type: "rate_limit_exceeded", message: "Rate limit reached", retryAfter: "1")))
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: ["OPENAI_API_KEY": "sk-fail-canary", "OPENAI_BASE_URL": fake.baseURL])
        let result = try await runner.run(["chat", "--model", "gpt-4o-mini", "hi"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: openai 429 rate_limited: Rate limit reached, retry after 1s"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        #expect(fake.requests.count == 2, "retried once after Retry-After, as no other provider was configured")
        let jsonResult = try await runner.run(["chat", "--json", "--model", "gpt-4o-mini", "hi"])
        #expect(jsonResult.status == 1)
        let object = try json(jsonResult.stdout)
        #expect(object["had_errors"] as? Bool == true)
        #expect((object["error_details"] as? String)?.contains("rate_limited") == true)
        #expect(!jsonResult.stdout.contains("sk-fail-canary"))
    }

    /// A provider (or a proxy before it) that answers 401 quoting the Authorization header: the key
    /// must reach neither the terminal nor the error log.
    @Test func aKeyEchoedByTheProviderIsNeverPrintedOrStored() async throws {
        let key = "sk-proj-echoed-canary-0123456789"
        let fake = try FakeLLMServer(.openAI, defaultScript: .failing(.status(401, type: "invalid_api_key", message: "Incorrect API key provided: Bearer \(key). You can find your API key at https://platform.openai.com/account/api-keys.")))
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: [
            "OPENAI_API_KEY": key, "OPENAI_BASE_URL": fake.baseURL, "SWITCHBOARD_DB": directory.file("db.sqlite3"), "LLM_DEBUG_MODE": "true",
        ])
        let result = try await runner.run(["chat", "--model", "gpt-4o-mini", "hi"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("Incorrect API key provided: Bearer [redacted]"), "\(result.stderr)")
        let jsonResult = try await runner.run(["chat", "--json", "--model", "gpt-4o-mini", "hi"])
        #expect((try json(jsonResult.stdout)["error_details"] as? String)?.contains("Bearer [redacted]") == true)
        for output in [result.stdout, result.stderr, jsonResult.stdout, jsonResult.stderr] {
            #expect(!output.contains(key))
        }
        let errors = try SQLiteStore(path: directory.file("db.sqlite3")).recentErrors(limit: 20)
        #expect(!errors.isEmpty)
        #expect(!errors.contains { $0.message.contains(key) }, "\(errors.map(\.message))")
        let database = try Data(contentsOf: URL(fileURLWithPath: directory.file("db.sqlite3"))) + ((try? Data(contentsOf: URL(fileURLWithPath: directory.file("db.sqlite3-wal")))) ?? Data())
        #expect(database.range(of: Data(key.utf8)) == nil, "the key is nowhere in the database files")
    }

    @Test func aCompatibleProviderWithoutUsageIsMarkedEstimated() async throws {
        let fake = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(text: "Local answer.", includeUsage: false))
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: [
            "LLM_COMPATIBLE_PROVIDERS": "local", "LOCAL_BASE_URL": fake.baseURL, "LOCAL_MODELS": "llama3.1", "LOCAL_PRICES": "*=free",
        ])
        let result = try await runner.run(["chat", "--provider", "local", "hi"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "Local answer.\n")
        #expect(result.stderr.contains("(estimated)"))
        #expect(result.stderr.contains("$0.000000"), "declared free: \(result.stderr)")
        #expect(fake.requests.first?.headers["authorization"] == nil)
    }

    /// A compatible provider's model that nobody priced would look free to the router (and to
    /// every quota): it is not used until the operator declares its price, and config check says so.
    @Test func aCompatibleModelWithoutAPriceIsNeverUsedUntilDeclared() async throws {
        let fake = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(text: "Priced answer.", promptTokens: 1, outputTokens: 1_000))
        let directory = try TemporaryDirectory()
        var environment = [
            "LLM_COMPATIBLE_PROVIDERS": "local", "LOCAL_BASE_URL": fake.baseURL, "LOCAL_MODELS": "llama3.1, qwen3",
            "SWITCHBOARD_DB": directory.file("db.sqlite3"),
        ]
        let unpriced = try await SwitchboardProcess(workingDirectory: directory.path, environment: environment).run(["chat", "--provider", "local", "hi"])
        #expect(unpriced.status != 0)
        #expect(unpriced.stderr.contains("llama3.1, qwen3: no price declared (set LOCAL_PRICES"), "\(unpriced.stderr)")
        #expect(fake.requests.isEmpty, "no request went to a model whose cost is unknown")
        let check = try await SwitchboardProcess(workingDirectory: directory.path, environment: environment).run(["config", "check"])
        #expect(check.stdout.contains("LOCAL_PRICES") && check.stdout.contains("llama3.1, qwen3 of 'local' have no price and will not be used"), "\(check.stdout)")

        // Priced: $2 in / $4 out per million; 1,000 output tokens cost $0.004 and a quota binds on it.
        environment["LOCAL_PRICES"] = "llama3.1=2/4"
        environment["LLM_HOURLY_QUOTA"] = "0.006"
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: environment)
        let priced = try await runner.run(["chat", "--provider", "local", "--model", "llama3.1", "first question"])
        #expect(priced.status == 0, "\(priced.stderr)")
        #expect(priced.stderr.contains("$0.004002"), "\(priced.stderr)")
        let overQuota = try await runner.run(["chat", "--provider", "local", "--model", "llama3.1", "second question"])
        #expect(overQuota.status != 0 && overQuota.stderr.contains("local hourly quota"), "\(overQuota.stderr)")
        let stillUnpriced = try await runner.run(["chat", "--provider", "local", "--model", "qwen3", "hi"])
        #expect(stillUnpriced.stderr.contains("qwen3: no price declared"), "\(stillUnpriced.stderr)")
        #expect(fake.requests.count == 1)
    }

    @Test(arguments: [
        (["chat", "--provider", "openai", "hi"], "openai is not configured: OPENAI_API_KEY is not set"),
        (["chat", "--provider", "cohere", "hi"], "unknown provider 'cohere'"),
        (["chat", "--model", "claude-3-haiku-20240307", "--provider", "anthropic", "hi"], "anthropic is not configured"),
        (["chat", ""], "no message"),
    ])
    func badRequestsAreClearErrors(arguments: [String], expected: String) async throws {
        let directory = try TemporaryDirectory()
        let result = try await SwitchboardProcess(workingDirectory: directory.path).run(arguments)
        #expect(result.status == 1)
        #expect(result.stderr.contains(expected), "\(result.stderr)")
    }

    @Test func retiredAndUnknownModelsAreRefused() async throws {
        let directory = try TemporaryDirectory()
        let closed = try ReservedPort()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: ["OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": closed.baseURL])
        let retired = try await runner.run(["chat", "--model", "gpt-3.5-turbo", "hi"])
        #expect(retired.stderr.contains("gpt-3.5-turbo: retired on 2026-10-23"), "\(retired.stderr)")
        let unknown = try await runner.run(["chat", "--provider", "openai", "--model", "gpt-9", "hi"])
        #expect(unknown.stderr.contains("gpt-9 is not in the model catalog, so its cost is unknown"))
    }
}

@Suite struct ChatNetworkTests {
    @Test func requestsGoThroughTheProxyFromTheEnvironment() async throws {
        // The fake plays the proxy: the client sends it the absolute URI of a host that does not
        // exist, which only a proxy can serve.
        let proxy = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(text: "Via the proxy."))
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: [
            "OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": "http://api.openai.invalid/v1",
            "http_proxy": proxy.baseURL.replacingOccurrences(of: "/v1", with: ""),
        ])
        let result = try await runner.run(["chat", "--model", "gpt-4o-mini", "hi"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "Via the proxy.\n")
        #expect(proxy.requests.first?.absoluteURI == "http://api.openai.invalid/v1/chat/completions")
    }

    @Test func configuredTimeoutsApply() async throws {
        let fake = try FakeLLMServer(.openAI, defaultScript: .failing(.stall(afterChunks: 0, for: .seconds(10))))
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: [
            "OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": fake.baseURL, "SWITCHBOARD_FIRST_BYTE_TIMEOUT": "1",
        ])
        let result = try await runner.run(["chat", "--model", "gpt-4o-mini", "hi"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("openai timeout: no response within 1.0 seconds"), "\(result.stderr)")
        fake.stop()
    }

    @Test func anUnreadableCAFileIsAConfigurationError() async throws {
        let directory = try TemporaryDirectory()
        let result = try await SwitchboardProcess(workingDirectory: directory.path, environment: ["SWITCHBOARD_CA_FILE": directory.file("missing.pem")])
            .run(["config", "check"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("SWITCHBOARD_CA_FILE: cannot read"))
    }
}

@Suite struct ChatMemoryTests {
    @Test func aNamedConversationRemembersAcrossInvocationsAndResets() async throws {
        let fake = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(text: "Got it."))
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: ["OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": fake.baseURL])
        _ = try await runner.run(["chat", "--conversation", "ana", "My name is Ana."])
        _ = try await runner.run(["chat", "--conversation", "ana", "What is my name?"])
        let second = try #require(fake.requests.last?.json?["messages"] as? [[String: String]])
        #expect(second.first?["content"]?.contains("- Name: Ana") == true)
        #expect(second.contains { $0["content"] == "My name is Ana." })

        _ = try await runner.run(["chat", "--conversation", "other", "Who am I?"])
        let other = try #require(fake.requests.last?.json?["messages"] as? [[String: String]])
        #expect(!(other.first?["content"]?.contains("Ana") ?? true), "conversations do not leak into each other")

        _ = try await runner.run(["chat", "--conversation", "ana", "--reset", "Start over."])
        let reset = try #require(fake.requests.last?.json?["messages"] as? [[String: String]])
        #expect(reset.count == 2, "system and the new message only")
        #expect(!(reset.first?["content"]?.contains("Ana") ?? true))
    }

    @Test func aPersonaIsKeptForTheConversation() async throws {
        let fake = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(text: "Certainly."))
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: ["OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": fake.baseURL])
        let first = try await runner.run(["chat", "--conversation", "work", "--persona", "professional", "--json", "Draft an email"])
        #expect((try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])?["personality_applied"] as? String == "professional")
        _ = try await runner.run(["chat", "--conversation", "work", "And a subject line?"])
        let sent = try #require(fake.requests.last?.json?["messages"] as? [[String: String]])
        #expect(sent.first?["content"]?.contains("professional, precise tone") == true)
        let bad = try await runner.run(["chat", "--persona", "pirate", "hi"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("unknown persona 'pirate'"))
    }

    @Test func oneOffChatsDoNotRememberEachOther() async throws {
        let fake = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(text: "Ok."))
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: ["OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": fake.baseURL])
        _ = try await runner.run(["chat", "My name is Ana."])
        _ = try await runner.run(["chat", "What is my name?"])
        let sent = try #require(fake.requests.last?.json?["messages"] as? [[String: String]])
        #expect(sent.count == 2)
    }
}

@Suite struct ChatResetTests {
    @Test func resetAloneForgetsWithoutAskingForAMessage() async throws {
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path)
        _ = try await runner.run(["chat", "--conversation", "x", "My name is Ana."])
        let reset = try await runner.run(["chat", "--conversation", "x", "--reset"])
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(reset.stdout == "Conversation x forgotten.\n")
        let alone = try await runner.run(["chat", "--reset", "hi"])
        #expect(alone.status == 1)
        #expect(alone.stderr.contains("--reset needs --conversation NAME"))
    }
}
