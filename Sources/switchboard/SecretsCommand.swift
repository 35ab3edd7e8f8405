import ArgumentParser
import Core
import Foundation
import Store

struct SecretsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Store API keys and the bot token encrypted in the database.",
        subcommands: [Set.self, List.self, Remove.self]
    )

    /// The vault over the configured database, or a clear failure.
    static func openVault() throws -> (SecretVault, LoadedConfiguration) {
        let loaded = LoadedConfiguration.load()
        guard let store = loaded.store else {
            let reason = loaded.report.errors.first { $0.variable == ConfigVariable.database.name }?.message ?? "the database cannot be opened"
            throw CleanExit.failure(reason)
        }
        return (SecretVault(store: store, masterKey: loaded.settings.masterKey, environment: loaded.settings.environment), loaded)
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read a value from standard input and store it encrypted as NAME (e.g. OPENAI_API_KEY).")

        @Argument(help: "The variable the secret stands in for when it is not set in the environment.")
        var name: String

        func run() throws {
            let (vault, loaded) = try SecretsCommand.openVault()
            let environment = ProcessInfo.processInfo.environment
            let (dotEnv, _) = SettingsLoader.readDotEnv(at: loaded.dotEnvPath)
            let allowed = SettingsLoader.storableSecretNames(environment: environment, dotEnv: dotEnv)
            guard allowed.contains(name) else {
                throw CleanExit.failure("'\(name)' is not a secret Switchboard reads; expected one of \(allowed.joined(separator: ", "))")
            }
            let value = (readLine(strippingNewline: true) ?? "").trimmingCharacters(in: .whitespaces)
            guard !value.isEmpty else {
                throw CleanExit.failure("no value on standard input: pipe it in, e.g. `printf %s \"$KEY\" | switchboard secrets set \(name)`")
            }
            do {
                try vault.set(name, value: value)
            } catch {
                throw CleanExit.failure(error.message)
            }
            var note = "Stored \(name) encrypted in \(loaded.settings.databasePath)."
            if vault.usesDevelopmentKey {
                note += " LLM_MASTER_KEY is not set, so it is sealed with the development key \(vault.developmentKeyPath); set LLM_MASTER_KEY for production."
            }
            if loaded.settings.sources[name] == .environment || loaded.settings.sources[name] == .dotEnv {
                note += " Note: \(name) is also set in the \(loaded.settings.sources[name]?.rawValue ?? "environment"), which takes precedence."
            }
            print(note)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the names of stored secrets (never their values).")

        func run() throws {
            let (vault, _) = try SecretsCommand.openVault()
            do {
                let names = try vault.names()
                print(names.isEmpty ? "No stored secrets." : names.joined(separator: "\n"))
            } catch {
                throw CleanExit.failure(error.message)
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a stored secret.")

        @Argument(help: "The secret's name.")
        var name: String

        func run() throws {
            let (vault, _) = try SecretsCommand.openVault()
            do {
                print(try vault.remove(name) ? "Removed \(name)." : "No stored secret named \(name).")
            } catch {
                throw CleanExit.failure(error.message)
            }
        }
    }
}

/// A command failure with a one-line reason on standard error and exit code 1.
enum CleanExit {
    /// Prints `message` (secrets scrubbed) as the command's error.
    static func failure(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data(("error: " + Redactor.shared.scrub(message) + "\n").utf8))
        return ExitCode(1)
    }
}
