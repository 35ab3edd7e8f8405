import ArgumentParser
import Core
import Endpoints
import Foundation
import HTTP
import Logging
import Synchronization
import TelegramBot

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the Telegram bot without the console (logs to standard error; SIGTERM or Ctrl-C stops it).")

    func run() async throws {
        let loaded = LoadedConfiguration.load(checkingIntegrity: true)
        bootstrapLogging(loaded.settings)
        guard loaded.report.isValid else {
            throw CleanExit.failure("the configuration is not valid:\n" + loaded.report.errors.map { "  - \($0)" }.joined(separator: "\n"))
        }
        guard loaded.settings.telegram.token != nil else {
            throw CleanExit.failure("TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and add it to .env (or store it with `switchboard secrets set TELEGRAM_BOT_TOKEN`)")
        }
        // What `config check` would say, said at start: a warning read in the log beats one never read.
        let configuration = Logger(label: "switchboard.config")
        for warning in loaded.report.warnings { configuration.warning("\(warning)") }
        let runtime: Runtime
        do {
            runtime = try Runtime.start(loaded)
        } catch {
            throw CleanExit.failure(error.message)
        }
        let services = BotServices(runtime: runtime)
        guard let bot = services.bot else { throw CleanExit.failure("the Telegram bot could not be created") }
        let logger = Logger(label: "switchboard.run")
        // Stop on SIGTERM/SIGINT: stop taking updates, let answers in flight finish, flush the
        // writes. A second signal exits at once (what was reserved is settled by the next start).
        // The handlers are in place before the bot starts: a signal while it starts up is neither
        // lost nor fatal, and stops it as one a minute later would.
        let deadline = Duration.seconds(loaded.settings.shutdownTimeout)
        let signals = Atomic<Int>(0)
        let running = Mutex<Task<Void, any Error>?>(nil)
        let stop = BotRunner.onTermination {
            if signals.add(1, ordering: .relaxed).newValue == 1 {
                logger.notice("stopping: no new updates; answers in flight get up to \(deadline) (signal again to exit now)")
                running.withLock { $0?.cancel() }
            } else {
                logger.warning("second signal: exiting now; unanswered updates stay in the inbox")
                Foundation.exit(130)
            }
        }
        defer { _ = stop }
        let task = Task { try await services.run() }
        running.withLock { $0 = task }
        if signals.load(ordering: .relaxed) > 0 { task.cancel() }  // signalled while the task was made
        var failure: String?
        do {
            try await task.value
        } catch let error as BotAPIError {
            failure = "Telegram refused the bot: \(error)"
        } catch let error as BotServices.ServerFailure {
            failure = error.message
        } catch {}
        let finished = await bot.finishInFlight(within: deadline)
        await runtime.assistant.waitForUpkeep()
        runtime.gateway.flushWrites()
        logger.notice("stopped", metadata: ["in flight": "\(finished ? "all finished" : "cancelled at the deadline")"])
        if let failure { throw CleanExit.failure(failure) }
    }
}

/// The bot with its intake (long polling, or the webhook), the HTTP server for the webhook and
/// `/healthz` when `SWITCHBOARD_HTTP_LISTEN` is set, and `/metrics` beside them or on
/// `SWITCHBOARD_METRICS_LISTEN`: run together, stopped together.
struct BotServices: Sendable {
    struct ServerFailure: Error {
        let message: String
    }

    let bot: TelegramBot?
    let webhookURL: String?
    /// The webhook, `/healthz`, and `/metrics` unless it has a server of its own.
    let server: EndpointServer?
    /// `/metrics` and `/healthz` on `SWITCHBOARD_METRICS_LISTEN`.
    let metricsServer: EndpointServer?
    let metrics: MetricsExporter?

    init(runtime: Runtime) {
        let settings = runtime.loaded.settings
        let bot = BotRunner.makeBot(runtime)
        let webhookURL = bot == nil ? nil : settings.telegram.webhookURL
        let metrics = settings.features.metrics && (settings.httpListen != nil || settings.metricsListen != nil)
            ? MetricsExporter(bus: runtime.bus, gateway: runtime.gateway, bot: bot) : nil
        let trouble: @Sendable () -> String? = { bot?.storageTrouble }
        self.bot = bot
        self.webhookURL = webhookURL
        self.metrics = metrics
        server = settings.httpListen.map { address in
            let webhook = bot.flatMap { bot in webhookURL.map { (EndpointServer.webhookPath(of: $0), bot) } }
            return EndpointServer(address: address, webhook: webhook, metrics: settings.metricsListen == nil ? metrics : nil, trouble: trouble)
        }
        metricsServer = settings.metricsListen.map { EndpointServer(address: $0, webhook: nil, metrics: metrics, trouble: trouble) }
    }

    /// Runs until cancelled, or until one part fails: the token is refused (``BotAPIError``) or a
    /// server cannot listen (``ServerFailure``); the others are then stopped.
    func run() async throws {
        // Telegram is told where to post (setWebhook) only once the server listens there: an
        // update posted earlier would be refused, and Telegram waits before delivering it again.
        let (listening, listeningNow) = AsyncStream<Void>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let bot {
                group.addTask { [webhookURL, server] in
                    if let webhookURL {
                        if server != nil { for await _ in listening {} }  // ends when the server listens
                        if Task.isCancelled { return }
                        try await bot.runWebhook(url: webhookURL)
                    } else {
                        try await bot.run()
                    }
                }
            }
            if let metrics {
                group.addTask { await metrics.run() }
            }
            if let server {
                group.addTask { try await Self.serve(server, configuredBy: ConfigVariable.httpListen) { listeningNow.finish() } }
            } else {
                listeningNow.finish()
            }
            if let metricsServer {
                group.addTask { try await Self.serve(metricsServer, configuredBy: ConfigVariable.metricsListen) {} }
            }
            // The first part to end (cancelled, refused, failed) ends them all.
            _ = try await group.next()
            group.cancelAll()
        }
    }

    /// Runs `server` until cancelled; a failure to listen names the variable that chose the address.
    private static func serve(_ server: EndpointServer, configuredBy variable: ConfigVariable, onReady: @escaping @Sendable () -> Void) async throws {
        do {
            try await server.run { _ in onReady() }
        } catch where !Task.isCancelled {
            throw ServerFailure(message: "the HTTP server cannot serve on \(server.address) (\(variable.name)): \(error)")
        }
    }
}


enum BotRunner {

    /// The bot over the runtime, when a token is configured.
    static func makeBot(_ runtime: Runtime) -> TelegramBot? {
        let settings = runtime.loaded.settings
        guard let token = settings.telegram.token else { return nil }
        let api = BotAPI(baseURL: settings.telegram.apiBaseURL, token: token.value, transport: CurlHTTPClient(options: CurlHTTPClient.Options(settings.network)))
        return TelegramBot(api: api, assistant: runtime.assistant, controls: runtime.gateway, store: runtime.store, settings: settings, bus: runtime.bus)
    }

    /// Calls `handler` on SIGTERM or SIGINT (once); keep the result alive while it should listen.
    static func onTermination(_ handler: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }
}
