public import Core
import Foundation
import Synchronization

/// The operator console: one thread owns ncurses, reads keys with a short timeout, drains the
/// event bus each frame, and redraws only what changed. Everything else (snapshots, commands, test
/// messages) runs on the runtime's side through ``Hooks``.
public final class ConsoleApp: Sendable {
    /// What the console asks of the runtime.
    public struct Hooks: Sendable {
        /// A fresh picture of the runtime (read from the database and the Gateway).
        public var snapshot: @Sendable () async -> ConsoleSnapshot
        /// Carries out an effect; returns what to show on the status line, if anything.
        public var perform: @Sendable (ConsoleEffect) async -> (text: String, isError: Bool)?

        public init(snapshot: @escaping @Sendable () async -> ConsoleSnapshot, perform: @escaping @Sendable (ConsoleEffect) async -> (text: String, isError: Bool)?) {
            self.snapshot = snapshot
            self.perform = perform
        }
    }

    /// How often the snapshot is refreshed.
    public static let snapshotInterval = Duration.seconds(1)
    /// Frames drawn at most this often while only the runtime changes things (30 a second);
    /// a key press is drawn at once.
    static let frameInterval: TimeInterval = 1.0 / 30

    private let events: Subscription<Event>
    private let hooks: Hooks
    private let themesDirectory: String?
    private let initialTheme: String
    private let knownModels: [String]
    private let noColor: Bool
    private let inbox = Mutex<[ConsoleInput]>([])
    /// Set by SIGTERM/SIGHUP: the loop leaves and restores the terminal instead of dying mid-frame.
    private let stopRequested = Atomic<Bool>(false)

    public init(events: Subscription<Event>, hooks: Hooks, themesDirectory: String?, theme: String, knownModels: [String], noColor: Bool) {
        self.events = events
        self.hooks = hooks
        self.themesDirectory = themesDirectory
        self.initialTheme = theme
        self.knownModels = knownModels
        self.noColor = noColor
    }

    /// Checks the terminal before anything starts.
    public static func checkTerminal(environment: [String: String]) throws(TerminalError) {
        try NcursesTerminal.checkUsable(environment: environment)
    }

    /// Runs the console until the operator quits. The terminal is restored however it ends.
    public func run() async throws(TerminalError) {
        let poller = Task { [self] in
            while !Task.isCancelled {
                let snapshot = await hooks.snapshot()
                post(.snapshot(snapshot))
                try? await Task.sleep(for: Self.snapshotInterval)  // cancelled: the loop's check ends it
            }
        }
        defer { poller.cancel() }
        // A terminated console still gives the terminal back.
        var signalSources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGTERM, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber)
            source.setEventHandler { [self] in stopRequested.store(true, ordering: .relaxed) }
            source.resume()
            signalSources.append(source)
        }
        defer { signalSources.forEach { $0.cancel() } }
        let outcome: TerminalError? = await withCheckedContinuation { continuation in
            let thread = Thread { [self] in
                continuation.resume(returning: loop())
            }
            thread.name = "switchboard-console"
            thread.start()
        }
        if let outcome { throw outcome }
    }

    private func post(_ input: ConsoleInput) {
        inbox.withLock { $0.append(input) }
    }

    /// The console thread: returns an error if the terminal could not be used.
    private func loop() -> TerminalError? {
        var themeName = initialTheme
        var (theme, themeProblem) = loadTheme(initialTheme)
        if themeProblem != nil { themeName = Theme.default.name }
        let terminal = NcursesTerminal(theme: theme)
        do {
            try terminal.start(noColor: noColor)
        } catch {
            return error
        }
        defer { terminal.stop() }
        let size = terminal.size
        var state = ConsoleState(width: size.width, height: size.height, startedAt: Date(), themeName: themeName)
        state.knownModels = knownModels
        state.knownThemes = themesDirectory.map(Theme.available(in:)) ?? []
        if let themeProblem { state.status = (themeProblem + " — using the default theme", true) }
        state.status = state.status ?? ("colours: \(terminal.colorMode.rawValue) · theme \(themeName) · ? for help", false)

        var dirty = true
        var lastTick = Date()
        var lastDraw = Date.distantPast
        while !stopRequested.load(ordering: .relaxed) {
            var inputs: [ConsoleInput] = []
            // Keys already typed are all taken this frame, so fast typing never lags behind.
            while let input = terminal.readKey() {
                switch input {
                case .key(let key): inputs.append(.key(key))
                case .resize: inputs.append(.resize(width: terminal.size.width, height: terminal.size.height))
                }
                if inputs.count > 512 { break }
            }
            inputs += inbox.withLock { queued in
                defer { queued.removeAll() }
                return queued
            }
            inputs += events.drain().map(ConsoleInput.event)
            let now = Date()
            if now.timeIntervalSince(lastTick) >= 1 {
                inputs.append(.tick(now))
                lastTick = now
            }
            let typed = inputs.contains { if case .key = $0 { true } else { false } }
            for input in inputs {
                dirty = true
                for effect in ConsoleReducer.reduce(&state, input) {
                    switch effect {
                    case .quit:
                        return nil
                    case .loadTheme(let name):
                        let (loaded, problem) = loadTheme(name)
                        if let problem {
                            state.status = (problem + " — theme unchanged", true)
                        } else {
                            theme = loaded
                            terminal.setTheme(loaded)
                            _ = ConsoleReducer.reduce(&state, .themeLoaded(name))
                        }
                    default:
                        Task { [hooks] in
                            if let reply = await hooks.perform(effect) { self.post(.status(reply.text, isError: reply.isError)) }
                        }
                    }
                }
            }
            if dirty && (typed || Date().timeIntervalSince(lastDraw) >= Self.frameInterval) {
                terminal.draw(ConsoleRenderer.render(state))
                dirty = false
                lastDraw = Date()
            }
        }
        return nil
    }

    private func loadTheme(_ name: String) -> (Theme, String?) {
        guard name != Theme.default.name || themesDirectory != nil else { return (.default, nil) }
        guard let themesDirectory else { return (.default, "no themes/ directory next to the working directory") }
        do {
            return (try Theme.load(named: name, from: themesDirectory), nil)
        } catch {
            return (.default, error.message)
        }
    }
}
