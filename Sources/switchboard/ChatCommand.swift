import ArgumentParser
import Core
import Foundation
import Gateway
import HTTP
import Providers

struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Send one message and stream the answer to standard output.",
        discussion: """
            Reads the message from standard input when none is given. A one-line summary (provider, model,
            tokens, cost, time to first token, total time) goes to standard error.
            """)

    @Argument(help: "The message; read from standard input when omitted.")
    var message: String?

    @Option(help: "The provider to use (openai, anthropic, a compatible provider's name, or demo).")
    var provider: String?

    @Option(help: "The model to use (an id from the model catalog, or one of a compatible provider's models).")
    var model: String?

    @Flag(help: "Wait for the whole answer instead of streaming it.")
    var noStream = false

    @Flag(help: "Print one JSON object with the answer, usage, cost and errors.")
    var json = false

    func run() async throws {
        let loaded = LoadedConfiguration.load()
        let text = try readMessage()
        let target: ChatTarget
        do {
            target = try ChatTarget.choose(loaded: loaded, provider: provider, model: model)
        } catch {
            throw fail(error.message, provider: provider, model: model)
        }
        for warning in target.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }

        let request = ChatRequest(model: target.model, messages: [.user(text)], maxOutputTokens: target.maxOutputTokens)
        let started = ContinuousClock.now
        var firstToken: Duration?
        var answer = ""
        var usage: TokenUsage?
        let streaming = !noStream && loaded.settings.features.streaming
        do {
            if streaming {
                for try await event in target.provider.stream(request) {
                    switch event {
                    case .delta(let piece):
                        if firstToken == nil { firstToken = ContinuousClock.now - started }
                        answer += piece
                        if !json { Self.write(piece) }
                    case .finished(let reported, _):
                        usage = reported
                    }
                }
                guard usage != nil else { throw ProviderError(.cancelled, provider: target.provider.name, message: "the answer was interrupted") }
            } else {
                let response = try await target.provider.complete(request)
                answer = response.text
                usage = response.usage
                if !json { Self.write(answer) }
            }
        } catch {
            if !json && !answer.isEmpty { Self.write("\n") }
            let reason = (error as? ProviderError)?.description ?? "\(error)"
            throw fail(reason, provider: target.provider.name, model: target.model, partial: answer)
        }
        let total = ContinuousClock.now - started
        let finalUsage = usage ?? TokenUsage(promptTokens: 0, outputTokens: 0, isEstimated: true)
        let cost = target.price.map { CostCalculator.cost(of: finalUsage, at: $0) } ?? 0
        let summary = ChatSummary(provider: target.provider.name, model: target.model, usage: finalUsage, cost: cost, costKnown: target.price != nil, firstToken: firstToken, total: total, isDemo: target.isDemo)
        if json {
            try printJSON(summary.json(answer: answer))
        } else {
            Self.write("\n")
            FileHandle.standardError.write(Data((summary.line + "\n").utf8))
        }
    }

    private func readMessage() throws -> String {
        let text = message ?? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw fail("no message: give it as an argument or on standard input", provider: provider, model: model)
        }
        return trimmed
    }

    /// Reports a failure (one line on stderr, or the JSON object) and returns the exit code to throw.
    private func fail(_ reason: String, provider: String?, model: String?, partial: String = "") -> ExitCode {
        if json {
            let object: [String: Any] = [
                "response_content": partial, "model_used": model ?? NSNull(), "provider": provider ?? NSNull(),
                "usage": NSNull(), "cost_estimate": 0, "had_errors": true, "error_details": reason,
            ]
            try? printJSON(object)
            return ExitCode(1)
        }
        return CleanExit.failure(reason)
    }

    private static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// The provider and model a `chat` goes to. Until the Gateway's router lands, the choice is: the
/// flags, else the preferred provider and model, else the first configured provider and its
/// cheapest current model, else the offline demo.
struct ChatTarget {
    var provider: any LLMProvider
    var model: String
    var price: ModelPrice?
    var maxOutputTokens: Int
    var isDemo: Bool
    var warnings: [String] = []

    struct Failure: Error {
        let message: String
    }

    static let defaultMaxOutputTokens = 1024

    static func choose(loaded: LoadedConfiguration, provider requested: String?, model requestedModel: String?) throws(Failure) -> ChatTarget {
        let settings = loaded.settings
        let catalog = loaded.catalog
        let overrides = (try? loaded.store?.providerOverrides()) ?? [:]
        let name = requested?.lowercased()
            ?? requestedModel.flatMap { catalog.entry(for: $0)?.provider }
            ?? settings.preferredProvider.flatMap { preferred in settings.configuredProviders.contains { $0.name == preferred } ? preferred : nil }
            ?? settings.configuredProviders.first { overrides[$0.name]?.enabled ?? true }?.name
            ?? Settings.demoProviderName

        if name == Settings.demoProviderName {
            guard settings.usesDemoProvider || requested == Settings.demoProviderName else {
                throw Failure(message: "the demo provider is off because a real provider is configured")
            }
            let model = DemoProvider.modelName
            return ChatTarget(provider: DemoProvider(), model: model, price: catalog.entry(for: model)?.price ?? ModelPrice(input: 0, output: 0), maxOutputTokens: defaultMaxOutputTokens, isDemo: true)
        }
        guard let configuration = settings.providers.first(where: { $0.name == name }) else {
            throw Failure(message: "unknown provider '\(name)': expected one of \(settings.providerNames.joined(separator: ", "))")
        }
        let transport = CurlHTTPClient(options: CurlHTTPClient.Options(settings.network))
        guard configuration.isConfigured, let provider = ProviderFactory.make(configuration, transport: transport, timeouts: HTTPTimeouts(settings.network)) else {
            throw Failure(message: "\(name) is not configured: \(configuration.apiKeyVariable ?? "its key") is not set")
        }
        if overrides[name]?.enabled == false {
            throw Failure(message: "\(name) is disabled by the operator")
        }
        let now = Date()
        let preferredModel = settings.preferredModel.flatMap { model in
            catalog.entry(for: model)?.provider == name || configuration.models.contains(model) ? model : nil
        }
        let cheapest = catalog.models(of: name).filter { !$0.isRetired(on: now) }.min { $0.price.output < $1.price.output }?.id
        guard let model = requestedModel ?? preferredModel ?? configuration.models.first ?? cheapest else {
            throw Failure(message: "no model known for \(name): pass --model or list its models in \(SettingsLoader.variablePrefix(for: name))_MODELS")
        }
        if let entry = catalog.entry(for: model) {
            guard entry.provider == name else {
                throw Failure(message: "\(model) is served by \(entry.provider), not \(name)")
            }
            guard !entry.isRetired(on: now) else {
                throw Failure(message: "\(model) is retired; choose a current model (`switchboard models` lists them)")
            }
            return ChatTarget(provider: provider, model: model, price: entry.price, maxOutputTokens: min(defaultMaxOutputTokens, entry.maxOutput), isDemo: false)
        }
        // Not in the catalog: a compatible provider's own model is allowed with its cost unknown
        // (and said so); anything else would be billed blind, so it is refused.
        guard configuration.kind == .openAICompatible else {
            throw Failure(message: "\(model) is not in the model catalog, so its cost is unknown; add it with SWITCHBOARD_MODELS_FILE")
        }
        return ChatTarget(provider: provider, model: model, price: nil, maxOutputTokens: defaultMaxOutputTokens, isDemo: false,
                          warnings: ["\(model) is not in the model catalog: its cost is not counted; add it with SWITCHBOARD_MODELS_FILE"])
    }
}

/// The summary line and JSON of a finished `chat`.
struct ChatSummary {
    var provider: String
    var model: String
    var usage: TokenUsage
    var cost: Double
    var costKnown: Bool
    var firstToken: Duration?
    var total: Duration
    var isDemo: Bool

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    var line: String {
        let tokens = "\(usage.promptTokens) in / \(usage.outputTokens) out tokens\(usage.isEstimated ? " (estimated)" : "")"
        let price = costKnown ? String(format: "$%.6f", cost) : "cost unknown"
        let ttft = firstToken.map { String(format: "first token %.2f s", Self.seconds($0)) } ?? "not streamed"
        return [isDemo ? "\(provider) (offline demo)" : provider, model, tokens, price, ttft, String(format: "total %.2f s", Self.seconds(total))].joined(separator: " · ")
    }

    func json(answer: String) -> [String: Any] {
        [
            "response_content": answer,
            "model_used": model,
            "provider": provider,
            "usage": [
                "prompt_tokens": usage.promptTokens, "output_tokens": usage.outputTokens,
                "cache_read_tokens": usage.cacheReadTokens, "cache_write_tokens": usage.cacheWriteTokens,
                "estimated": usage.isEstimated,
            ],
            "cost_estimate": cost,
            "cost_known": costKnown,
            "had_errors": false,
            "error_details": NSNull(),
            "time_to_first_token_ms": firstToken.map { Int(Self.seconds($0) * 1000) } ?? NSNull(),
            "total_time_ms": Int(Self.seconds(total) * 1000),
            "demo": isDemo,
        ]
    }
}
