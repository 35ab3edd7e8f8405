import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

/// Drives the real `switchboard console` in tmux, as an operator would: type, read the screen.
@Suite(.serialized) struct ConsoleTmuxTests {
    let socket = "sb-test-\(UUID().uuidString.prefix(8))"

    @discardableResult
    func tmux(_ arguments: [String]) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tmux", "-L", socket] + arguments
        // Output goes to a file, not a pipe: the tmux server that `new-session` starts inherits the
        // client's descriptors, and a pipe would then never reach end-of-file.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: file) }
        let handle = try FileHandle(forWritingTo: file)
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Reaped here: the tmux client exits at once (its server lives on), and Foundation's own
        // monitor does not always notice that from inside a test; ECHILD means it already did.
        var status: Int32 = 0
        _ = waitpid(process.processIdentifier, &status, 0)
        try handle.close()
        return (try? String(contentsOf: file, encoding: .utf8)) ?? ""
    }

    /// Ends the tmux server (from `defer`, which cannot await).
    func killServer() {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tmux", "-L", socket, "kill-server"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return }
        var status: Int32 = 0
        _ = waitpid(process.processIdentifier, &status, 0)
    }

    func screen() async throws -> String { try await tmux(["capture-pane", "-p", "-t", "console"]) }

    /// Polls the screen until `condition` holds (the console draws asynchronously), up to `timeout`.
    func waitFor(_ description: String, timeout: Duration = .seconds(15), _ condition: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while ContinuousClock.now < deadline {
            last = try await screen()
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting for \(description); the screen was:\n\(last)")
        return last
    }

    @Test func testChatStreamsAndDisableChangesTheProvidersPanel() async throws {
        // A provider slow enough (a word every 700 ms) that the partial answer is on screen for
        // seconds, however busy the machine running the tests is (at 300 ms a CI run on a loaded
        // two-core machine once missed it: each capture-pane took longer than the whole stream).
        let fake = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(text: "Streaming one word at a time to the console panel.", pace: .milliseconds(700)))
        let directory = try TemporaryDirectory()
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        try FileManager.default.copyItem(atPath: repository.appendingPathComponent("themes").path, toPath: directory.file("themes"))
        let command = "cd \(directory.path) && env -i PATH=/usr/bin:/bin HOME=\(directory.path) XDG_DATA_HOME=\(directory.path)/data TERM=screen-256color LANG=C.UTF-8 OPENAI_API_KEY=sk-test OPENAI_BASE_URL=\(fake.baseURL) \(SwitchboardProcess.binaryPath) console; echo CONSOLE-EXITED-$?; sleep 30"
        try await tmux(["new-session", "-d", "-s", "console", "-x", "160", "-y", "48", command])
        defer { killServer() }

        _ = try await waitFor("the console") { $0.contains("Providers") && $0.contains("Test chat") }

        try await tmux(["send-keys", "-t", "console", "c"])
        try await tmux(["send-keys", "-t", "console", "-l", "hello from tmux"])
        try await tmux(["send-keys", "-t", "console", "Enter"])
        // While the demo model streams, the partial answer shows with the cursor at its end.
        let streaming = try await waitFor("a partial answer") { $0.contains("you  hello from tmux") && $0.contains("bot  Streaming") && $0.contains("▌") }
        #expect(!streaming.contains("console panel."), "the answer was still arriving")
        let done = try await waitFor("the complete answer") { $0.contains("answered by gpt-4o-mini") }
        #expect(done.contains("bot  Streaming one word at a time to the console panel."))
        #expect(!done.contains("▌"))

        try await tmux(["send-keys", "-t", "console", "Escape"])
        try await tmux(["send-keys", "-t", "console", "-l", ":disable openai"])
        try await tmux(["send-keys", "-t", "console", "Enter"])
        let disabled = try await waitFor("openai disabled") { $0.contains("○ openai       disabled") }
        #expect(disabled.contains("openai disabled"))

        try await tmux(["send-keys", "-t", "console", "-l", ":frobnicate"])
        try await tmux(["send-keys", "-t", "console", "Enter"])
        _ = try await waitFor("an unknown-command error") { $0.contains("unknown command ':frobnicate'") }

        try await tmux(["send-keys", "-t", "console", "q"])
        let exited = try await waitFor("a clean exit") { $0.contains("CONSOLE-EXITED-") }
        #expect(exited.contains("CONSOLE-EXITED-0"))
    }

    @Test func aTerminalTooSmallSaysSoAndResizingRedraws() async throws {
        let directory = try TemporaryDirectory()
        let command = "cd \(directory.path) && env -i PATH=/usr/bin:/bin HOME=\(directory.path) XDG_DATA_HOME=\(directory.path)/data TERM=screen LANG=C.UTF-8 \(SwitchboardProcess.binaryPath) console; sleep 30"
        try await tmux(["new-session", "-d", "-s", "console", "-x", "50", "-y", "12", command])
        defer { killServer() }
        _ = try await waitFor("the too-small message") { $0.contains("Terminal too small: 50×12") }
        try await tmux(["resize-window", "-t", "console", "-x", "120", "-y", "30"])
        _ = try await waitFor("the panels after resizing") { $0.contains("Providers") && !$0.contains("Terminal too small") }
        try await tmux(["send-keys", "-t", "console", "C-c"])
    }

    @Test func withoutATerminalItSaysToUseRun() async throws {
        let directory = try TemporaryDirectory()
        let result = try await SwitchboardProcess(workingDirectory: directory.path, environment: ["TERM": "dumb"]).run(["console"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("switchboard run"))
    }
}
