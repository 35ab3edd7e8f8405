import ArgumentParser
import Core
import Logging

/// The `switchboard` command.
@main
struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "A Telegram bot backed by OpenAI, Anthropic and OpenAI-compatible models, with an operator console.",
        discussion: "Configuration comes from the environment and a .env file in the working directory; see .env.example.",
        subcommands: [
            ChatCommand.self,
            ConfigCommand.self,
            ConsoleCommand.self,
            HealthCommand.self,
            KeygenCommand.self,
            ModelsCommand.self,
            PinCommand.self,
            ProviderCommand.self,
            QuotaCommand.self,
            RunCommand.self,
            SecretsCommand.self,
            StatsCommand.self,
            TraceCommand.self,
            TokensCommand.self,
        ]
    )
}

/// Sends swift-log output to standard error at the configured level. One-shot commands pass a
/// floor (`.error`) so that a failure is one line from the command, not the command plus a log
/// line; `LLM_DEBUG_MODE=true` lifts the floor.
func bootstrapLogging(_ settings: Settings, floor: Logger.Level? = nil) {
    let configured = settings.debugMode ? min(settings.logLevel, .debug) : settings.logLevel
    let level = floor.map { settings.debugMode ? configured : max(configured, $0) } ?? configured
    Redactor.shared.register(settings)
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return RedactingLogHandler(handler)
    }
}
