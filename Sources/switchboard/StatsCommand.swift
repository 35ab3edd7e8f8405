import ArgumentParser
import Core
import Foundation
import Gateway
import Store

/// The numbers `stats` and `health` share, read from the database so they are right from any process.
struct ServiceReport {
    let loaded: LoadedConfiguration
    let summary: UsageSummary
    let providers: [String: [String: Any]]
    let personalityAdaptations: Int

    static func read(_ loaded: LoadedConfiguration, store: SQLiteStore) throws -> ServiceReport {
        let now = Date()
        let overrides = try store.providerOverrides()
        let circuits = try store.circuitStates()
        let names = loaded.settings.configuredProviders.map(\.name) + (loaded.settings.usesDemoProvider ? [Settings.demoProviderName] : [])
        let limits = BudgetLimits(settings: loaded.settings.quotas, overrides: overrides)
        // Read first: it settles what a killed process left reserved, which the summary then counts.
        let ledger = BudgetLedger(store: store, limits: limits)
        let snapshot = ledger.snapshot(providers: names)
        let summary = try store.usageSummary(since: BudgetLedger.windowStart(.daily, at: now))
        var providers: [String: [String: Any]] = [:]
        for name in names {
            providers[name] = [
                "enabled": overrides[name]?.enabled ?? true,
                "circuit": circuits[name] ?? CircuitState.closed.rawValue,
                "spend_hour": snapshot.line(name, .hourly)?.spent ?? 0,
                "spend_day": snapshot.line(name, .daily)?.spent ?? 0,
                "reserved": snapshot.line(name, .daily)?.reserved ?? 0,
                "quota_hour": limits.hourly(name),
                "quota_day": limits.daily(name),
            ]
        }
        return ServiceReport(loaded: loaded, summary: summary, providers: providers, personalityAdaptations: try store.personalityAdaptations())
    }

    var statsJSON: [String: Any] {
        [
            "window": "today (UTC)",
            "requests": summary.requests,
            "success_rate": summary.successRate,
            "avg_response_time": summary.averageLatencyMilliseconds ?? 0,
            "p95_response_time": summary.p95LatencyMilliseconds ?? 0,
            "avg_time_to_first_token": summary.averageTimeToFirstTokenMilliseconds ?? 0,
            "total_cost": summary.totalCostUSD,
            "cost_by_provider": summary.costByProvider,
            "cost_by_model": summary.costByModel,
            "cache_hit_rate": summary.cacheHitRate,
            "cache_savings": summary.savedUSD,
            "errors_by_kind": summary.errorsByKind,
            "personality_adaptations": personalityAdaptations,
            "providers": providers,
        ]
    }
}

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Today's requests, success rate, response times, cost, cache hits and errors (UTC day).")

    @Flag(help: "Print the seed's field names as JSON.") var json = false

    func run() async throws {
        let loaded = LoadedConfiguration.load()
        guard let store = loaded.store else { throw CleanExit.failure(loaded.report.errors.first?.description ?? "the database cannot be opened") }
        let report = try ServiceReport.read(loaded, store: store)
        if json {
            try printJSON(report.statsJSON)
            return
        }
        let s = report.summary
        func ms(_ value: Double?) -> String { value.map { String(format: "%.0f ms", $0) } ?? "—" }
        print("Today (UTC): \(s.requests) requests, \(String(format: "%.1f", s.successRate * 100)) % answered")
        print("response time  avg \(ms(s.averageLatencyMilliseconds)), p95 \(ms(s.p95LatencyMilliseconds)), first token avg \(ms(s.averageTimeToFirstTokenMilliseconds))")
        print(String(format: "cost           $%.4f", s.totalCostUSD) + (s.costByModel.isEmpty ? "" : "  (" + s.costByModel.sorted { $0.key < $1.key }.map { String(format: "%@ $%.4f", $0.key, $0.value) }.joined(separator: ", ") + ")"))
        print(String(format: "cache          %.1f %% hits, $%.4f saved", s.cacheHitRate * 100, s.savedUSD))
        print("errors         " + (s.errorsByKind.isEmpty ? "none" : s.errorsByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        var table = [["PROVIDER", "ENABLED", "CIRCUIT", "HOUR", "DAY"]]
        for (name, values) in report.providers.sorted(by: { $0.key < $1.key }) {
            table.append([
                name, (values["enabled"] as? Bool ?? true) ? "yes" : "no", values["circuit"] as? String ?? "",
                String(format: "$%.2f / $%.2f", values["spend_hour"] as? Double ?? 0, values["quota_hour"] as? Double ?? 0),
                String(format: "$%.2f / $%.2f", values["spend_day"] as? Double ?? 0, values["quota_day"] as? Double ?? 0),
            ])
        }
        print("")
        print(TextTable.render(table))
    }
}

struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "healthy, unhealthy or error, with the reasons; exits 0 only when healthy.")

    @Flag(help: "Print status, providers, success_rate, avg_response_time, errors and warnings as JSON.") var json = false

    func run() async throws {
        let loaded = LoadedConfiguration.load()
        var errors = loaded.report.errors.map(\.description)
        let warnings = loaded.report.warnings.map(\.description)
        var status = "healthy"
        var object: [String: Any] = ["providers": [String: Any](), "success_rate": 0, "avg_response_time": 0]
        if let store = loaded.store {
            // The running bot stops taking updates when the file cannot record progress (a full
            // disk, a read-only or damaged file): the same write tells this process.
            do {
                try store.probeWrite()
            } catch {
                errors.append("the database cannot record progress: \(error.message)")
            }
            do {
                let report = try ServiceReport.read(loaded, store: store)
                object["providers"] = report.providers
                object["success_rate"] = report.summary.successRate
                object["avg_response_time"] = report.summary.averageLatencyMilliseconds ?? 0
                let usable = report.providers.filter { ($0.value["enabled"] as? Bool ?? true) && ($0.value["circuit"] as? String) != CircuitState.open.rawValue }
                if usable.isEmpty {
                    errors.append("no provider can take requests: every provider is disabled or its circuit is open")
                }
            } catch {
                status = "error"
                errors.append("\(error)")
            }
        }
        if status == "healthy" && !errors.isEmpty { status = "unhealthy" }
        object["status"] = status
        object["errors"] = errors
        object["warnings"] = warnings
        if json {
            try printJSON(object)
        } else {
            print("status: \(status)")
            for error in errors { print("error: \(error)") }
            for warning in warnings { print("warning: \(warning)") }
            let providers = (object["providers"] as? [String: [String: Any]]) ?? [:]
            for (name, values) in providers.sorted(by: { $0.key < $1.key }) {
                print("provider \(name): \((values["enabled"] as? Bool ?? true) ? "enabled" : "disabled"), circuit \(values["circuit"] as? String ?? "closed")")
            }
        }
        if status != "healthy" { throw ExitCode(1) }
    }
}
