import ArgumentParser
import Core
import Foundation
import HTTP
import Logging
import TelegramBot

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the Telegram bot without the console (logs to standard error; SIGTERM or Ctrl-C stops it).")

    func run() async throws {
        let loaded = LoadedConfiguration.load()
        bootstrapLogging(loaded.settings)
        guard loaded.report.isValid else {
            throw CleanExit.failure("the configuration is not valid:\n" + loaded.report.errors.map { "  - \($0)" }.joined(separator: "\n"))
        }
        guard loaded.settings.telegram.token != nil else {
            throw CleanExit.failure("TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and add it to .env (or store it with `switchboard secrets set TELEGRAM_BOT_TOKEN`)")
        }
        let runtime: Runtime
        do {
            runtime = try Runtime.start(loaded)
        } catch {
            throw CleanExit.failure(error.message)
        }
        guard let bot = BotRunner.makeBot(runtime) else { throw CleanExit.failure("the Telegram bot could not be created") }
        let logger = Logger(label: "switchboard.run")
        let task = Task { try await bot.run() }
        // Stop on SIGTERM/SIGINT: cancel polling, let answers in flight finish, flush the writes.
        let stop = BotRunner.onTermination { task.cancel() }
        defer { _ = stop }
        do {
            try await task.value
        } catch let error as BotAPIError {
            throw CleanExit.failure("Telegram refused the bot: \(error)")
        } catch {}
        logger.notice("stopping: finishing the answers in flight (up to \(BotRunner.drainDeadline))")
        await bot.finishInFlight(within: BotRunner.drainDeadline)
        runtime.gateway.flushWrites()
    }
}

enum BotRunner {
    /// How long a stopping bot waits for answers in flight.
    static let drainDeadline = Duration.seconds(20)

    /// The bot over the runtime, when a token is configured.
    static func makeBot(_ runtime: Runtime) -> TelegramBot? {
        let settings = runtime.loaded.settings
        guard let token = settings.telegram.token else { return nil }
        let api = BotAPI(baseURL: settings.telegram.apiBaseURL, token: token.value, transport: CurlHTTPClient(options: CurlHTTPClient.Options(settings.network)))
        return TelegramBot(api: api, assistant: runtime.assistant, gateway: runtime.gateway, store: runtime.store, settings: settings, bus: runtime.bus)
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
