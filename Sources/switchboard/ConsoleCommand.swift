import ArgumentParser
import Assistant
import Console
import Core
import Foundation
import Gateway
import Logging
import Store
import TelegramBot

struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Open the operator console: live panels, controls and a test chat, with the runtime in the same process.")

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        do {
            try ConsoleApp.checkTerminal(environment: environment)
        } catch {
            throw CleanExit.failure(error.message)
        }
        let loaded = LoadedConfiguration.load(checkingIntegrity: true)
        let bus = EventBus<Event>()
        // Under ncurses nothing may print: warnings and errors go to the Errors panel.
        LoggingSystem.bootstrap { label in RedactingLogHandler(BusLogHandler(label: label, bus: bus)) }
        let events = bus.subscribe(capacity: 4_096)
        // What `config check` would warn about, on the console from the start.
        for warning in loaded.report.warnings {
            bus.publish(.alert(Alert(severity: .warning, message: "configuration: \(warning)", at: Date())))
        }
        let runtime: Runtime
        do {
            runtime = try Runtime.start(loaded, bus: bus)
        } catch {
            throw CleanExit.failure(error.message)
        }
        // The bot runs too when a token is set, and the HTTP server when an address is; their
        // problems show in the Errors panel.
        let services = BotServices(runtime: runtime)
        let bot = Task {
            do {
                try await services.run()
            } catch let error as BotAPIError {
                bus.publish(.alert(Alert(severity: .critical, message: "Telegram refused the bot: \(error)", at: Date())))
            } catch let error as BotServices.ServerFailure {
                bus.publish(.alert(Alert(severity: .critical, message: error.message, at: Date())))
            } catch {}
        }
        defer { bot.cancel() }
        let themes = FileManager.default.currentDirectoryPath + "/themes"
        let app = ConsoleApp(
            events: events,
            hooks: ConsoleHooks(runtime: runtime).hooks,
            themesDirectory: FileManager.default.fileExists(atPath: themes) ? themes : nil,
            theme: loaded.settings.theme,
            knownModels: loaded.catalog.entries.filter { !$0.isRetired(on: Date()) }.map(\.id),
            noColor: environment["NO_COLOR"].map { !$0.isEmpty } ?? false)
        do {
            try await app.run()
        } catch {
            throw CleanExit.failure(error.message)
        }
        await runtime.assistant.waitForUpkeep()
        runtime.gateway.flushWrites()
    }
}

/// The runtime side of the console: snapshots from the database and the Gateway, and the effects
/// of the operator's keys.
struct ConsoleHooks {
    let runtime: Runtime

    var hooks: ConsoleApp.Hooks {
        ConsoleApp.Hooks(snapshot: { [runtime] in ConsoleHooks.snapshot(runtime) }, perform: { [runtime] effect in await ConsoleHooks.perform(effect, runtime) })
    }

    static func snapshot(_ runtime: Runtime) -> ConsoleSnapshot {
        let settings = runtime.loaded.settings
        let gateway = runtime.gateway
        let names = settings.providers.map(\.name) + (settings.usesDemoProvider ? [Settings.demoProviderName] : [])
        let providers = names.map { name in
            ProviderRow(
                name: name, configured: settings.configuredProviders.contains { $0.name == name } || name == Settings.demoProviderName,
                enabled: gateway.isEnabled(name), circuit: gateway.circuitState(of: name), latencyMilliseconds: gateway.latency(of: name))
        }
        let usable = providers.filter(\.configured).map(\.name)
        let budget = gateway.ledger.snapshot(providers: usable)
        let spend = budget.lines.map { SpendLine(provider: $0.provider, window: $0.window, spent: $0.spent + $0.reserved, limit: $0.limit) }
        let now = Date()
        // What cannot be read shows as empty for this second, and the errors panel says why,
        // rather than the console stopping.
        var unreadable: [ErrorRow] = []
        func read<T>(_ what: String, _ body: () throws(StoreError) -> T, otherwise: T) -> T {
            do {
                return try body()
            } catch {
                unreadable.append(ErrorRow(at: now, source: "store", message: "\(what) cannot be read: \(error.message)"))
                return otherwise
            }
        }
        let summary = read("today's usage", { () throws(StoreError) in try runtime.store.usageSummary(since: BudgetLedger.windowStart(.daily, at: now)) }, otherwise: UsageSummary())
        let conversations = read("the conversations", { () throws(StoreError) in try runtime.store.recentConversations(limit: 50) }, otherwise: []).map { record in
            ConversationRow(id: ConversationID(rawValue: record.id), channel: record.channel, user: record.lastUser, updatedAt: record.updatedAt)
        }
        let errors = read("the error log", { () throws(StoreError) in try runtime.store.recentErrors(limit: 100) }, otherwise: []).map { ErrorRow(at: $0.at, source: $0.source, message: $0.message) }
        let cacheEntries = read("the cache", { () throws(StoreError) in try runtime.store.cacheEntryCount(now: now) }, otherwise: 0)
        return ConsoleSnapshot(
            providers: providers, pinnedModel: gateway.pinnedModel, spend: spend, todaySpend: summary.totalCostUSD,
            conversations: conversations, errors: unreadable + errors, cacheHitRate: summary.cacheHitRate, cacheSavedUSD: summary.savedUSD,
            cacheEntries: cacheEntries, demoMode: settings.usesDemoProvider,
            telegram: settings.telegram.token == nil ? "off (no token)" : "polling")
    }

    static func perform(_ effect: ConsoleEffect, _ runtime: Runtime) async -> (text: String, isError: Bool)? {
        switch effect {
        case .command(let command):
            do {
                if let done = try runtime.gateway.apply(command) { return (done, false) }
            } catch {
                return (error.message, true)
            }
            do {
                if let done = try runtime.assistant.apply(command) { return (done, false) }
            } catch {
                return (error.description, true)
            }
            return nil
        case .testMessage(let text):
            runtime.bus.publish(.messageReceived(MessageReceived(request: .make(), conversation: .console, channel: .console, sender: "operator", text: text, at: Date())))
            let result = await runtime.assistant.respond(AssistantRequest(conversation: .console, channel: .console, userName: "operator", text: text))
            if result.hadErrors { return ("test chat failed: \(result.errorDetails.joined(separator: "; "))", true) }
            let cost = result.fromCache ? "from cache" : String(format: "$%.4f", result.costEstimate)
            return ("answered by \(result.modelUsed) (\(cost))", false)
        case .loadTheme, .quit:
            return nil
        }
    }
}
