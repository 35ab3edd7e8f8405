import ArgumentParser

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
            KeygenCommand.self,
            ModelsCommand.self,
            SecretsCommand.self,
            TokensCommand.self,
        ]
    )
}
