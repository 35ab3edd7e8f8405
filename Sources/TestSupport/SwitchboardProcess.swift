import Foundation

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
        async let out = Task.detached { stdout.fileHandleForReading.readDataToEndOfFile() }.value
        async let err = Task.detached { stderr.fileHandleForReading.readDataToEndOfFile() }.value
        let (outData, errData) = await (out, err)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "switchboard \(arguments) did not finish within \(timeout)"])
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }
}
