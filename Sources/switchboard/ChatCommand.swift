public import ArgumentParser
import Assistant
import Core
import Foundation
import Gateway
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

    @Option(help: "How much the answer matters: low (cheapest model), normal, or high (best model).")
    var priority: RequestPriority = .normal

    @Option(help: "Keep the conversation under this name: later chats with the same name remember it.")
    var conversation: String?

    @Option(help: "Answer in a persona: professional, friendly, casual or helpful (kept for the conversation).")
    var persona: String?

    @Flag(help: "Forget the conversation (with --conversation) before answering; alone, just forget it.")
    var reset = false

    func run() async throws {
        let loaded = LoadedConfiguration.load()
        // Before anything creates a Logger: handlers are chosen when a Logger is made.
        bootstrapLogging(loaded.settings, floor: .error)
        let runtime: Runtime
        do {
            runtime = try Runtime.start(loaded)
        } catch {
            throw fail(error.message, provider: provider, model: model)
        }
        let settings = runtime.loaded.settings
        let conversationID = ConversationID.cli(conversation ?? Self.oneShotConversation)
        var pipedMessage: String?
        var chosenPersona: Persona?
        if let persona {
            guard let parsed = Persona(name: persona) else {
                throw fail("unknown persona '\(persona)': expected one of \(Persona.allCases.map(\.rawValue).joined(separator: ", "))", provider: provider, model: model)
            }
            chosenPersona = parsed
        }
        if reset {
            guard conversation != nil else { throw fail("--reset needs --conversation NAME", provider: provider, model: model) }
            do {
                try runtime.assistant.reset(conversationID)
            } catch {
                throw fail(error.description, provider: provider, model: model)
            }
            // `--reset` alone only forgets: no message argument, and nothing (or a terminal) on stdin.
            if message == nil {
                let piped = Self.standardInputIsTerminal ? "" : String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                if piped.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    print("Conversation \(conversation ?? "") forgotten.")
                    return
                }
                pipedMessage = piped
            }
        }
        if let chosenPersona, conversation != nil {
            do {
                try runtime.assistant.setPersona(chosenPersona, for: conversationID, channel: .cli)
            } catch {
                throw fail(error.description, provider: provider, model: model)
            }
        }
        let text = try readMessage(pipedMessage)
        if let provider, !settings.providerNames.contains(provider.lowercased()) {
            throw fail("unknown provider '\(provider)': expected one of \(settings.providerNames.joined(separator: ", "))", provider: provider, model: model)
        }
        if let provider, let configuration = settings.providers.first(where: { $0.name == provider.lowercased() }), !configuration.isConfigured {
            throw fail("\(provider) is not configured: \(configuration.apiKeyVariable ?? "its key") is not set", provider: provider, model: model)
        }
        // The request's id, made at intake: `switchboard trace ID` tells its story.
        let requestID = RequestID.make()
        let events: AsyncStream<AssistantEvent>
        if provider != nil || model != nil {
            // A provider or model chosen by hand goes straight to the Gateway, restricted to it;
            // the message meets the intake policy the Assistant applies otherwise.
            let admitted = runtime.assistant.admit(text, conversation: conversationID, request: requestID)
            if let refusal = admitted.refusal { throw fail(refusal, provider: provider, model: model) }
            let request = GatewayRequest(
                id: requestID, conversation: conversationID, messages: [.user(admitted.text)], priority: priority,
                maxOutputTokens: Self.maxOutputTokens, streaming: !noStream && settings.features.streaming,
                provider: provider?.lowercased(), model: model)
            let gateway = runtime.gateway
            events = AsyncStream { continuation in
                let task = Task {
                    for await event in gateway.stream(request) {
                        switch event {
                        case .routed(let decision): continuation.yield(.routed(decision))
                        case .delta(let piece): continuation.yield(.delta(piece))
                        case .restarted(let reason): continuation.yield(.restarted(reason: reason))
                        case .completed(let result): continuation.yield(.completed(AssistantResult(result, personalityApplied: nil)))
                        }
                    }
                    continuation.finish()
                }
                continuation.onTermination = { _ in task.cancel() }
            }
        } else {
            events = runtime.assistant.reply(AssistantRequest(
                id: requestID, conversation: conversationID, channel: .cli, userName: "cli", text: text, persona: chosenPersona,
                history: conversation == nil ? [] : nil, priority: priority,
                streaming: !noStream && settings.features.streaming, maxOutputTokens: Self.maxOutputTokens))
        }
        var result: AssistantResult?
        var printed = false
        for await event in events {
            switch event {
            case .routed:
                break
            case .delta(let piece):
                printed = true
                if !json { Self.write(piece) }
            case .restarted(let reason):
                if !json && printed { Self.write("\n[the answer restarts: \(reason)]\n") }
            case .completed(let final):
                result = final
            }
        }
        // Usage rows and cache entries are written behind the answer: make sure they are in.
        runtime.gateway.flushWrites()
        guard let result, !result.hadErrors else {
            if !json && printed { Self.write("\n") }
            throw fail(result?.errorDetails.joined(separator: "; ") ?? "no answer", provider: provider, model: model, request: requestID)
        }
        let summary = ChatSummary(
            provider: result.provider, model: result.modelUsed, usage: result.usage, cost: result.costEstimate, costKnown: result.costKnown,
            firstToken: noStream || !settings.features.streaming ? nil : result.timeToFirstToken, total: result.latency, isDemo: result.isDemo,
            fromCache: result.fromCache, personality: result.personalityApplied, request: requestID)
        if !result.costKnown {
            FileHandle.standardError.write(Data("warning: \(result.modelUsed) is not in the model catalog: its cost is not counted; add it with SWITCHBOARD_MODELS_FILE\n".utf8))
        }
        if json {
            try printJSON(summary.json(answer: result.responseContent))
        } else {
            Self.write("\n")
            FileHandle.standardError.write(Data((summary.line + "\n").utf8))
        }
        // The answer is out; the conversation's facts and summary are written before exiting.
        await runtime.assistant.waitForUpkeep()
        runtime.gateway.flushWrites()
    }

    static let maxOutputTokens = 1024
    /// The conversation one-off chats are logged under; they do not see each other.
    static let oneShotConversation = "oneshot"

    static var standardInputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    private func readMessage(_ alreadyRead: String? = nil) throws -> String {
        let text = message ?? alreadyRead ?? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw fail("no message: give it as an argument or on standard input", provider: provider, model: model)
        }
        return trimmed
    }

    /// Reports a failure (one line on stderr, or the JSON object) and returns the exit code to throw.
    private func fail(_ reason: String, provider: String?, model: String?, partial: String = "", request: RequestID? = nil) -> ExitCode {
        if json {
            let object: [String: Any] = [
                "response_content": partial, "model_used": model ?? NSNull(), "provider": provider ?? NSNull(),
                "usage": NSNull(), "cost_estimate": 0, "had_errors": true, "error_details": Redactor.shared.scrub(reason),
                "request_id": request?.rawValue ?? NSNull(),
            ]
            try? printJSON(object)  // stdout is gone: the exit code still says it failed
            return ExitCode(1)
        }
        return CleanExit.failure(request.map { "\(reason) (request \($0))" } ?? reason)
    }

    private static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
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
    var fromCache: Bool = false
    var personality: String?
    var request: RequestID

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    var line: String {
        let tokens = "\(usage.promptTokens) in / \(usage.outputTokens) out tokens\(usage.isEstimated ? " (estimated)" : "")"
        let price = fromCache ? "$0 (from cache)" : costKnown ? String(format: "$%.6f", cost) : "cost unknown"
        let ttft = firstToken.map { String(format: "first token %.2f s", Self.seconds($0)) } ?? "not streamed"
        return [isDemo ? "\(provider) (offline demo)" : provider, model, tokens, price, ttft, String(format: "total %.2f s", Self.seconds(total)), "request \(request)"].joined(separator: " · ")
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
            "from_cache": fromCache,
            "personality_applied": personality ?? NSNull(),
            "request_id": request.rawValue,
        ]
    }
}

extension RequestPriority: ExpressibleByArgument {}

