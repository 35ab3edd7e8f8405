import Testing
import TestSupport

@Suite struct HelpTests {
    @Test func helpListsEverySubcommand() async throws {
        let directory = try TemporaryDirectory()
        let result = try await SwitchboardProcess(workingDirectory: directory.path).run(["--help"])
        #expect(result.status == 0)
        for command in ["chat", "config", "console", "health", "keygen", "models", "pin", "provider", "quota", "run", "secrets", "stats", "tokens"] {
            #expect(result.stdout.contains("  \(command) "), "--help does not list \(command)")
        }
    }

    @Test func unknownSubcommandsAndFlagsGiveUsageErrors() async throws {
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path)
        let unknown = try await runner.run(["frobnicate"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("Error:"))
        let badFlag = try await runner.run(["config", "check", "--jsn"])
        #expect(badFlag.status == 64)
        #expect(badFlag.stderr.contains("Unknown option '--jsn'"))
    }
}
