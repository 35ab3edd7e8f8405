import ArgumentParser
import Core
import Foundation
import Store

/// `switchboard trace ID`: one answer's story from the database — intake, the route decision and
/// why, each attempt with its outcome and cost, the cache, the error log's lines, and (for
/// Telegram) the update and how much of the answer was delivered. Any process's requests: the
/// bot's, the console's test chat, `chat` (which prints its request id).
struct TraceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "One answer's whole story: intake, route and why, attempts, cache, cost, errors, delivery.")

    @Argument(help: "The request id (in `chat`'s summary line and JSON, log lines and the console).") var id: String
    @Flag(help: "Print the steps as JSON.") var json = false

    func run() async throws {
        let loaded = LoadedConfiguration.load()
        guard let store = loaded.store else { throw CleanExit.failure(loaded.report.errors.first?.description ?? "the database cannot be opened") }
        let trace: RequestTrace
        do {
            trace = try RequestTrace.read(id.lowercased(), from: store)
        } catch {
            throw CleanExit.failure(error.message)
        }
        guard !trace.steps.isEmpty else {
            throw CleanExit.failure("nothing is recorded under request \(id) in \(store.path) (no usage row, error-log line or Telegram update)")
        }
        if json {
            try printJSON(trace.json)
        } else {
            print(trace.text)
        }
    }
}

/// The steps of one request, in time order, from its usage rows, error-log lines and inbox row.
struct RequestTrace {
    struct Step {
        var at: Date?
        var name: String
        var detail: String
    }

    var request: String
    var conversation: String?
    var steps: [Step] = []

    static func read(_ request: String, from store: SQLiteStore) throws(StoreError) -> RequestTrace {
        let usage = try store.usage(ofRequest: request)
        let errors = try store.errors(ofRequest: request)
        let delivery = try store.telegramDelivery(ofRequest: request)
        var trace = RequestTrace(request: request, conversation: usage.first?.conversationID)

        if let delivery {
            trace.steps.append(Step(at: delivery.receivedAt, name: "intake", detail: "telegram update \(delivery.updateID)" + (delivery.attempts.map { $0 > 1 ? ", handled \($0) times (restarts)" : "" } ?? "")))
        } else if let conversation = trace.conversation {
            let channel = conversation.hasPrefix("tg:") ? "telegram" : conversation == ConversationID.console.rawValue ? "the console's chat box" : "switchboard chat"
            trace.steps.append(Step(at: nil, name: "intake", detail: "\(channel), conversation \(conversation)"))
        }
        if let route = usage.first?.routeReason, !route.isEmpty {
            trace.steps.append(Step(at: nil, name: "route", detail: route))
        }
        var events: [Step] = []
        for (index, row) in usage.enumerated() {
            events.append(Step(at: row.createdAt, name: row.cacheHit ? "cache" : "attempt \(index + 1)", detail: Self.describe(row)))
        }
        for line in errors {
            events.append(Step(at: line.at, name: "error", detail: "\(line.source)\(line.kind.map { " \($0)" } ?? ""): \(line.message)"))
        }
        // Stable: a usage row and the error it logged share a moment; the row comes first.
        trace.steps += events.enumerated().sorted { ($0.element.at ?? .distantPast, $0.offset) < ($1.element.at ?? .distantPast, $1.offset) }.map(\.element)
        if !usage.isEmpty {
            let total = usage.reduce(0) { $0 + $1.costUSD }
            let estimated = usage.contains { $0.costEstimated } ? " (estimated in part)" : ""
            trace.steps.append(Step(at: nil, name: "cost", detail: String(format: "$%.6f in all over %d attempt%@%@", total, usage.count, usage.count == 1 ? "" : "s", estimated)))
        }
        if let delivery {
            let state = delivery.processedAt == nil ? "not yet answered (in the inbox)" : "answered"
            trace.steps.append(Step(at: delivery.processedAt, name: "delivery", detail: "\(state), \(delivery.deliveredParts) part\(delivery.deliveredParts == 1 ? "" : "s") accepted by Telegram"))
        }
        return trace
    }

    static func describe(_ row: UsageRecord) -> String {
        if row.cacheHit { return String(format: "hit: %@ %@, $%.6f saved", row.provider, row.model, row.costUSD) }
        var parts = ["\(row.provider) \(row.model): \(row.outcome.rawValue)\(row.errorKind.map { " \($0)" } ?? "")"]
        if row.promptTokens > 0 || row.outputTokens > 0 { parts.append("\(row.promptTokens) in / \(row.outputTokens) out tokens") }
        parts.append(String(format: "$%.6f%@", row.costUSD, row.costEstimated ? " (estimated)" : ""))
        if let ttft = row.timeToFirstTokenMilliseconds { parts.append("first token \(ttft) ms") }
        if let latency = row.latencyMilliseconds { parts.append("\(latency) ms") }
        return parts.joined(separator: ", ")
    }

    static let timeFormat: Date.ISO8601FormatStyle = .iso8601.year().month().day().time(includingFractionalSeconds: true)

    var text: String {
        var lines = ["request \(request)" + (conversation.map { "  conversation \($0)" } ?? "") + "  (times UTC)"]
        for step in steps {
            let time = step.at.map { $0.formatted(Self.timeFormat) } ?? ""
            lines.append(time.padding(toLength: 26, withPad: " ", startingAt: 0) + step.name.padding(toLength: 11, withPad: " ", startingAt: 0) + step.detail)
        }
        return lines.joined(separator: "\n")
    }

    var json: [String: Any] {
        [
            "request_id": request,
            "conversation": conversation ?? NSNull(),
            "steps": steps.map { ["at": $0.at.map { $0.formatted(Self.timeFormat) } ?? NSNull(), "step": $0.name, "detail": $0.detail] as [String: Any] },
        ]
    }
}
