import ArgumentParser
import Core
import Console
import Foundation
import Store

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check or show the configuration.",
        subcommands: [Check.self, Show.self, Example.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration: prints errors and warnings; exits 1 when invalid.")

        @Flag(help: "Print {\"valid\": …, \"errors\": […], \"warnings\": […]}.")
        var json = false

        func run() async throws {
            let loaded = LoadedConfiguration.load(checkingIntegrity: true)
            var report = loaded.report
            if let problem = Self.themeProblem(loaded.settings.theme) {
                report.errors.append(ConfigIssue(ConfigVariable.theme.name, problem))
            }
            if json {
                try printJSON([
                    "valid": report.isValid,
                    "errors": report.errors.map(\.description),
                    "warnings": report.warnings.map(\.description),
                ] as [String: Any])
            } else {
                print(ConfigReportText.render(report))
            }
            if !report.isValid { throw ExitCode(1) }
        }

        /// Why the console could not use `theme` from `themes/` in the working directory (it would
        /// fall back to the built-in one), or `nil`.
        static func themeProblem(_ theme: String) -> String? {
            guard theme != Theme.default.name else { return nil }
            let directory = FileManager.default.currentDirectoryPath + "/themes"
            do {
                _ = try Theme.load(named: theme, from: directory)
                return nil
            } catch {
                let known = Theme.available(in: directory)
                return error.message + (known.isEmpty ? "" : "; available: " + known.joined(separator: ", "))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the configuration summary, with every secret redacted.")

        @Flag(help: "Print the summary as JSON.")
        var json = false

        func run() async throws {
            let loaded = LoadedConfiguration.load()
            let overrides = loaded.providerOverrides()
            let summary = ConfigurationSummary(loaded: loaded, overrides: overrides)
            if json {
                try printJSON(summary.json)
            } else {
                print(summary.text)
            }
        }
    }
}

extension ConfigCommand {
    struct Example: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a .env template listing every variable with its default.")

        func run() throws {
            print(ConfigVariable.envExample, terminator: "")
        }
    }
}

/// The human form of a ``ConfigReport``.
enum ConfigReportText {
    static func render(_ report: ConfigReport) -> String {
        var lines: [String] = []
        let counts = "\(report.errors.count) error\(report.errors.count == 1 ? "" : "s"), \(report.warnings.count) warning\(report.warnings.count == 1 ? "" : "s")"
        lines.append("Configuration \(report.isValid ? "is valid" : "is NOT valid") (\(counts))")
        if !report.errors.isEmpty {
            lines.append("errors:")
            lines += report.errors.map { "  - \($0)" }
        }
        if !report.warnings.isEmpty {
            lines.append("warnings:")
            lines += report.warnings.map { "  - \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}

/// Prints `object` as pretty, key-sorted JSON on standard output.
func printJSON(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}
