import Foundation
import Testing
import TestSupport

@Suite struct SecretsCommandTests {
    @Test func keygenPrintsAKeyLineForDotEnv() async throws {
        let directory = try TemporaryDirectory()
        let result = try await SwitchboardProcess(workingDirectory: directory.path).run(["keygen"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("LLM_MASTER_KEY=sbk1:"))
        let quiet = try await SwitchboardProcess(workingDirectory: directory.path).run(["keygen", "--quiet"])
        #expect(quiet.stdout.hasPrefix("sbk1:") && quiet.stdout.count > 40)
    }

    @Test func aStoredSecretStandsInForAMissingVariableAndIsEncryptedAtRest() async throws {
        let directory = try TemporaryDirectory()
        let key = try await SwitchboardProcess(workingDirectory: directory.path).run(["keygen", "--quiet"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: ["LLM_MASTER_KEY": key, "ENVIRONMENT": "production"])

        let set = try await runner.run(["secrets", "set", "ANTHROPIC_API_KEY"], input: "sk-ant-canary-0042\n")
        #expect(set.status == 0, "\(set.stderr)")
        #expect(!set.stdout.contains("sk-ant-canary"))

        let check = try await runner.run(["config", "check", "--json"])
        #expect(check.status == 0, "\(check.stdout)")
        let show = try await runner.run(["config", "show"])
        #expect(show.stdout.contains("ANTHROPIC_API_KEY set (stored secret)"))
        #expect(!show.stdout.contains("sk-ant-canary"))

        let list = try await runner.run(["secrets", "list"])
        #expect(list.stdout.contains("ANTHROPIC_API_KEY"))

        let database = directory.path + "/data/switchboard/switchboard.sqlite3"
        for file in [database, database + "-wal"] where FileManager.default.fileExists(atPath: file) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            #expect(bytes.range(of: Data("sk-ant-canary".utf8)) == nil)
        }

        // Another key cannot read it, and says so.
        var wrong = runner
        wrong.environment["LLM_MASTER_KEY"] = try await SwitchboardProcess(workingDirectory: directory.path).run(["keygen", "--quiet"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let wrongCheck = try await wrong.run(["config", "check"])
        #expect(wrongCheck.status == 1)
        #expect(wrongCheck.stdout.contains("ANTHROPIC_API_KEY: ANTHROPIC_API_KEY was stored with a different LLM_MASTER_KEY"))
    }

    @Test func productionWithoutAMasterKeyRefusesToStore() async throws {
        let directory = try TemporaryDirectory()
        let result = try await SwitchboardProcess(workingDirectory: directory.path, environment: ["ENVIRONMENT": "production"])
            .run(["secrets", "set", "OPENAI_API_KEY"], input: "sk-x\n")
        #expect(result.status == 1)
        #expect(result.stderr.contains("LLM_MASTER_KEY is not set"))
    }

    @Test func unknownSecretNamesAndEmptyInputAreRefused() async throws {
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path)
        let unknown = try await runner.run(["secrets", "set", "PATH"], input: "x\n")
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("not a secret Switchboard reads"))
        let empty = try await runner.run(["secrets", "set", "OPENAI_API_KEY"], input: "")
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("no value on standard input"))
    }
}
