public import Foundation

/// Runs the built `switchboard` binary as a user would, with a controlled environment.
public struct SwitchboardProcess: Sendable {
    /// What a run printed and how it ended.
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// The binary: `SWITCHBOARD_BINARY` if set, else `switchboard` beside the test bundle.
    public static var binaryPath: String {
        if let path = ProcessInfo.processInfo.environment["SWITCHBOARD_BINARY"] { return path }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = runner.deletingLastPathComponent()
        // Inside an .xctest bundle on macOS the runner sits deeper.
        while directory.path != "/" && !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("switchboard").path) {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("switchboard").path
    }

    /// The working directory (where `.env` is looked for).
    public var workingDirectory: String
    /// The environment, on top of a minimal `PATH` and `HOME`; nothing else leaks in.
    public var environment: [String: String]

    /// A runner in `workingDirectory` whose data lives under it.
    public init(workingDirectory: String, environment: [String: String] = [:]) {
        self.workingDirectory = workingDirectory
        self.environment = ["PATH": "/usr/bin:/bin", "HOME": workingDirectory, "XDG_DATA_HOME": workingDirectory + "/data"]
            .merging(environment) { $1 }
    }

    /// Runs `switchboard` with `arguments`, feeding `input` on standard input.
    public func run(_ arguments: [String], input: String = "", timeout: Duration = .seconds(60)) async throws -> Result {
        let running = try start(arguments, input: input)
        return try await running.wait(timeout: timeout)
    }

    /// Starts `switchboard` with `arguments` and returns while it runs (a server, the bot).
    public func start(_ arguments: [String], input: String = "") throws -> Running {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binaryPath)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        return Running(process: process, arguments: arguments, stdout: Self.readToEnd(stdout), stderr: Self.readToEnd(stderr))
    }

    /// Reads a pipe to its end on a thread of its own: a blocking read must not hold one of the
    /// few threads Swift's concurrency pool has (two on a 2-core machine) while the process runs.
    static func readToEnd(_ pipe: Pipe) -> Task<Data, Never> {
        let handle = pipe.fileHandleForReading
        return Task {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread { continuation.resume(returning: handle.readDataToEndOfFile()) }
            }
        }
    }

    /// A started `switchboard`. `@unchecked Sendable`: `Process` is thread-safe for what is used
    /// here (signals, status) but not marked so.
    public final class Running: @unchecked Sendable {
        let process: Process
        let arguments: [String]
        let stdout: Task<Data, Never>
        let stderr: Task<Data, Never>

        init(process: Process, arguments: [String], stdout: Task<Data, Never>, stderr: Task<Data, Never>) {
            self.process = process
            self.arguments = arguments
            self.stdout = stdout
            self.stderr = stderr
        }

        public var isRunning: Bool { process.isRunning }

        /// Sends `signal` (SIGTERM by default), as an init system or Ctrl-C would.
        public func signal(_ number: Int32 = SIGTERM) {
            kill(process.processIdentifier, number)
        }

        /// Waits for the end (killing the process after `timeout`) and returns what it printed.
        public func wait(timeout: Duration = .seconds(60)) async throws -> Result {
            let deadline = ContinuousClock.now + timeout
            while process.isRunning {
                if ContinuousClock.now > deadline {
                    process.terminate()
                    throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "switchboard \(arguments) did not finish within \(timeout)"])
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            let (out, err) = await (stdout.value, stderr.value)
            return Result(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
        }
    }
}
