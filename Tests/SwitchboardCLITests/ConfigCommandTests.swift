import Foundation
import Store
import Testing
import TestSupport

@Suite struct ConfigCommandTests {
    @Test func checkOnAFreshMachineIsValidWithTheNoProviderWarning() async throws {
        let directory = try TemporaryDirectory()
        let result = try await SwitchboardProcess(workingDirectory: directory.path).run(["config", "check"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("Configuration is valid"))
        #expect(result.stdout.contains("No LLM providers configured"))
    }

    @Test func checkValidatesTheConsoleTheme() async throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("themes"), withIntermediateDirectories: true)
        try directory.write("themes/night.toml", "")
        let missing = try await SwitchboardProcess(workingDirectory: directory.path, environment: ["SWITCHBOARD_THEME": "nigth"]).run(["config", "check"])
        #expect(missing.status == 1)
        #expect(missing.stdout.contains("SWITCHBOARD_THEME"), "\(missing.stdout)")
        #expect(missing.stdout.contains("theme 'nigth' not found") && missing.stdout.contains("available: night"), "\(missing.stdout)")
        let unsafe = try await SwitchboardProcess(workingDirectory: directory.path, environment: ["SWITCHBOARD_THEME": "../etc/passwd"]).run(["config", "check"])
        #expect(unsafe.status == 1 && unsafe.stdout.contains("may contain only letters"))
        let found = try await SwitchboardProcess(workingDirectory: directory.path, environment: ["SWITCHBOARD_THEME": "night"]).run(["config", "check"])
        #expect(found.status == 0, "\(found.stdout)")
    }

    @Test func checkReportsBadValuesByNameAndExitsOne() async throws {
        let directory = try TemporaryDirectory()
        try directory.write(".env", """
            LLM_DAILY_QUOTA=abc
            LLM_CACHE_TTL=-5
            LLM_PREFERRED_PROVIDER=cohere
            OPENAI_BASE_URL=not a url
            LLM_DAILY_QOUTA=3
            this line is broken
            """)
        let result = try await SwitchboardProcess(workingDirectory: directory.path).run(["config", "check", "--json"])
        #expect(result.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["valid"] as? Bool == false)
        let errors = try #require(json["errors"] as? [String])
        let warnings = try #require(json["warnings"] as? [String])
        for variable in ["LLM_DAILY_QUOTA", "LLM_CACHE_TTL", "LLM_PREFERRED_PROVIDER", "OPENAI_BASE_URL"] {
            #expect(errors.contains { $0.hasPrefix(variable + ":") }, "no error for \(variable): \(errors)")
        }
        #expect(warnings.contains { $0.contains("did you mean LLM_DAILY_QUOTA") })
        #expect(warnings.contains { $0.contains(".env line 6") })
    }

    @Test func realEnvironmentWinsOverDotEnv() async throws {
        let directory = try TemporaryDirectory()
        try directory.write(".env", "LLM_DAILY_QUOTA=abc\n")
        let result = try await SwitchboardProcess(workingDirectory: directory.path, environment: ["LLM_DAILY_QUOTA": "42"]).run(["config", "show", "--json"])
        #expect(result.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let global = try #require(json["global_settings"] as? [String: Any])
        #expect(global["daily_quota"] as? Double == 42)
    }

    @Test func showRedactsSecretsAndLabelsTheDemoProvider() async throws {
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: ["TELEGRAM_BOT_TOKEN": "123:tg-canary-token"])
        let fresh = try await runner.run(["config", "show"])
        #expect(fresh.status == 0)
        #expect(fresh.stdout.contains("offline demo provider, active because no provider key is set"))
        #expect(!fresh.stdout.contains("tg-canary-token"))

        var withKey = runner
        withKey.environment["OPENAI_API_KEY"] = "sk-canary-secret-value"
        withKey.environment["LLM_MASTER_KEY"] = "a passphrase that is long enough"
        let shown = try await withKey.run(["config", "show"])
        let json = try await withKey.run(["config", "show", "--json"])
        let check = try await withKey.run(["config", "check"])
        for output in [shown.stdout, shown.stderr, json.stdout, check.stdout] {
            #expect(!output.contains("sk-canary-secret-value"))
            #expect(!output.contains("tg-canary-token"))
            #expect(!output.contains("a passphrase that is long enough"))
        }
        #expect(shown.stdout.contains("OPENAI_API_KEY set (environment)"))
        #expect(shown.stdout.contains("offline demo provider, inactive"))
    }

    @Test func exampleMatchesTheRepositoryFile() async throws {
        let directory = try TemporaryDirectory()
        let result = try await SwitchboardProcess(workingDirectory: directory.path).run(["config", "example"])
        let repositoryFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".env.example")
        #expect(result.stdout == (try String(contentsOf: repositoryFile, encoding: .utf8)))
    }

    @Test func aDamagedDatabaseIsNoticedByCheckAndRun() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("db.sqlite3")
        do {
            let store = try SQLiteStore(path: path)
            for row in 0..<3_000 { try store.logError(source: "test", kind: "filler", message: "row \(row) " + String(repeating: "x", count: 40)) }
        }  // closed: the WAL is checkpointed into the file
        // A few pages in the middle overwritten, as a bad disk or a careless copy would leave them.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size / 2 / 4_096 * 4_096)
        try handle.write(contentsOf: Data(repeating: 0x5A, count: 3 * 4_096))
        try handle.close()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: ["SWITCHBOARD_DB": path, "TELEGRAM_BOT_TOKEN": "123456:ABCdef", "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9"])
        let check = try await runner.run(["config", "check"])
        #expect(check.status == 1)
        #expect(check.stdout.contains("SWITCHBOARD_DB"), "\(check.stdout)")
        #expect(check.stdout.contains("damaged") || check.stdout.contains("malformed"), "\(check.stdout)")
        let run = try await runner.run(["run"], timeout: .seconds(30))
        #expect(run.status == 1, "it does not start answering on a damaged database")
        #expect(run.stderr.contains("SWITCHBOARD_DB"), "\(run.stderr)")
    }

    @Test func anUnusableDatabaseIsAClearErrorNotACrash() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("not-a-db.sqlite3", String(repeating: "garbage ", count: 500))
        let result = try await SwitchboardProcess(workingDirectory: directory.path, environment: ["SWITCHBOARD_DB": directory.file("not-a-db.sqlite3")]).run(["config", "check"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("SWITCHBOARD_DB: \(directory.file("not-a-db.sqlite3")) is not a SQLite database"))
        #expect(!result.stderr.contains("Fatal error"))
    }
}
