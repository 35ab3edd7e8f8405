import Foundation
import Testing
import TestSupport

/// Processes started together on one new database (a service, a console and a cron job, say):
/// one migrates, the others wait for it; none fails.
@Suite struct ConcurrentStartTests {
    @Test func processesStartedAtOnceOnANewDatabaseAllSucceed() async throws {
        for round in 1...3 {
            let directory = try TemporaryDirectory()
            let runner = SwitchboardProcess(workingDirectory: directory.path, environment: ["SWITCHBOARD_DB": directory.file("new/db.sqlite3")])
            let processes = try (1...6).map { _ in try runner.start(["stats"]) }
            for process in processes {
                let result = try await process.wait(timeout: .seconds(60))
                #expect(result.status == 0, "round \(round): \(result.stderr)")
                #expect(!result.stderr.contains("already exists"), "round \(round): \(result.stderr)")
            }
        }
    }
}
