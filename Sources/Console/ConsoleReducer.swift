public import Core
public import Foundation

/// Something the reducer asks the runtime to do.
public enum ConsoleEffect: Sendable, Hashable {
    /// An operator command for the Gateway or the Assistant.
    case command(Command)
    /// Send a test-chat message through the whole pipeline as the `console` channel.
    case testMessage(String)
    case loadTheme(String)
    case quit
}

/// What can happen to the console.
public enum ConsoleInput: Sendable {
    case key(Key)
    case paste(String)
    case event(Event)
    case snapshot(ConsoleSnapshot)
    case resize(width: Int, height: Int)
    case tick(Date)
    /// The runtime's answer to an effect: shown on the status line.
    case status(String, isError: Bool)
    case themeLoaded(String)
}

/// `reduce(state, input) -> effects`: every change of the screen's state happens here.
public enum ConsoleReducer {
    /// Characters kept in the chat box (a 10 KB paste is cut, and said so).
    public static let chatLimit = 4_000
    /// Error log entries and alerts kept.
    static let keep = 200

    public static func reduce(_ state: inout ConsoleState, _ input: ConsoleInput) -> [ConsoleEffect] {
        switch input {
        case .key(let key): return handle(key, &state)
        case .paste(let text): return paste(text, &state)
        case .event(let event): apply(event, &state); return []
        case .snapshot(let snapshot): merge(snapshot, &state); return []
        case .resize(let width, let height):
            state.width = width
            state.height = height
            return []
        case .tick(let now): state.now = now; return []
        case .status(let text, let isError): state.status = (text, isError); return []
        case .themeLoaded(let name): state.themeName = name; state.status = ("theme \(name)", false); return []
        }
    }

    // MARK: - Keys

    static func handle(_ key: Key, _ state: inout ConsoleState) -> [ConsoleEffect] {
        if key == .controlC { return [.quit] }
        if state.showHelp || state.openError != nil {
            if key == .escape || key == .enter || key == .character("q") || key == .character("?") {
                state.showHelp = false
                state.openError = nil
            }
            return []
        }
        if state.confirmingQuit {
            state.confirmingQuit = false
            if key == .character("y") || key == .character("q") { return [.quit] }
            state.status = ("still here", false)
            return []
        }
        switch state.mode {
        case .command(let text): return commandKey(key, text, &state)
        case .filter(let text): filterKey(key, text, &state); return []
        case .normal: break
        }
        if state.focus == .chat { return chatKey(key, &state) }
        guard let action = KeyBindings.action(for: key) else { return [] }
        return perform(action, &state)
    }

    static func perform(_ action: ConsoleAction, _ state: inout ConsoleState) -> [ConsoleEffect] {
        switch action {
        case .focusNext, .focusPrevious:
            let panels = Panel.allCases
            let index = panels.firstIndex(of: state.focus) ?? 0
            state.focus = panels[(index + (action == .focusNext ? 1 : panels.count - 1)) % panels.count]
        case .selectUp: move(-1, &state)
        case .selectDown: move(1, &state)
        case .open:
            switch state.focus {
            case .errors:
                let errors = state.visibleErrors
                let index = state.selection[.errors] ?? 0
                if errors.indices.contains(index) { state.openError = errors[index] }
            case .conversations:
                let rows = state.visibleConversations
                let index = state.selection[.conversations] ?? 0
                if rows.indices.contains(index) { state.selectedConversation = rows[index].id }
            case .providers, .chat: break
            }
        case .commandLine: state.mode = .command("")
        case .filter: state.mode = .filter(state.filters[state.focus] ?? "")
        case .chat: state.focus = .chat
        case .pinModel: state.mode = .command("model ")
        case .toggleProvider:
            let providers = state.visibleProviders
            let index = state.selection[.providers] ?? 0
            guard state.focus == .providers, providers.indices.contains(index) else {
                state.status = ("select a provider in the Providers panel first (Tab to it)", true)
                return []
            }
            let provider = providers[index]
            return [.command(.setProviderEnabled(provider: provider.name, enabled: !provider.enabled))]
        case .theme: state.mode = .command("theme ")
        case .help: state.showHelp = true
        case .quit:
            if state.isStreaming {
                state.confirmingQuit = true
                state.status = ("an answer is still streaming — press y to quit anyway, any other key to stay", true)
                return []
            }
            return [.quit]
        }
        return []
    }

    static func move(_ delta: Int, _ state: inout ConsoleState) {
        let count: Int
        switch state.focus {
        case .providers: count = state.visibleProviders.count
        case .conversations: count = state.visibleConversations.count
        case .errors: count = state.visibleErrors.count
        case .chat: return
        }
        guard count > 0 else { return }
        let current = state.selection[state.focus] ?? 0
        state.selection[state.focus] = min(count - 1, max(0, current + delta))
        if state.focus == .conversations { state.selectedConversation = state.visibleConversations[state.selection[.conversations] ?? 0].id }
    }

    static func chatKey(_ key: Key, _ state: inout ConsoleState) -> [ConsoleEffect] {
        switch key {
        case .escape, .tab:
            state.focus = key == .tab ? .providers : .conversations
        case .backTab:
            state.focus = .errors
        case .enter:
            let text = state.chatInput.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { return [] }
            state.chatInput = ""
            state.selectedConversation = .console
            var stream = StreamView()
            stream.question = text
            stream.streaming = true
            state.streams[.console] = stream
            return [.testMessage(text)]
        case .backspace:
            if !state.chatInput.isEmpty { state.chatInput.removeLast() }
        case .character(let character):
            if state.chatInput.count < chatLimit { state.chatInput.append(character) }
        default:
            break
        }
        return []
    }

    static func paste(_ text: String, _ state: inout ConsoleState) -> [ConsoleEffect] {
        let clean = text.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: " ")
        switch state.mode {
        case .command(let current): state.mode = .command(String((current + clean).prefix(500)))
        case .filter(let current): state.mode = .filter(String((current + clean).prefix(200)))
        case .normal:
            guard state.focus == .chat else { return [] }
            let room = chatLimit - state.chatInput.count
            state.chatInput += String(clean.prefix(room))
            if clean.count > room { state.status = ("pasted text cut to \(chatLimit) characters", true) }
        }
        return []
    }

    static func filterKey(_ key: Key, _ text: String, _ state: inout ConsoleState) {
        switch key {
        case .escape:
            state.mode = .normal
            state.filters[state.focus] = nil
        case .enter:
            state.mode = .normal
        case .backspace:
            let shorter = String(text.dropLast())
            state.mode = .filter(shorter)
            state.filters[state.focus] = shorter.isEmpty ? nil : shorter
        case .character(let character):
            state.mode = .filter(text + String(character))
            state.filters[state.focus] = text + String(character)
        default:
            break
        }
        state.selection[state.focus] = 0
    }

    static func commandKey(_ key: Key, _ text: String, _ state: inout ConsoleState) -> [ConsoleEffect] {
        switch key {
        case .escape:
            state.mode = .normal
        case .backspace:
            if text.isEmpty { state.mode = .normal } else { state.mode = .command(String(text.dropLast())) }
        case .tab:
            state.mode = .command(ConsoleCompletion.complete(text, state: state))
        case .character(let character):
            state.mode = .command(text + String(character))
        case .enter:
            state.mode = .normal
            return run(text, &state)
        default:
            break
        }
        return []
    }

    /// Runs a `:` command line.
    static func run(_ line: String, _ state: inout ConsoleState) -> [ConsoleEffect] {
        let words = line.split(separator: " ").map(String.init)
        guard let name = words.first else { return [] }
        let args = Array(words.dropFirst())
        func usage(_ command: String) -> [ConsoleEffect] {
            let entry = ConsoleCommands.all.first { $0.name == command }
            state.status = ("usage: \(entry?.usage ?? command)", true)
            return []
        }
        switch name {
        case "model":
            guard args.count == 1 else { return usage("model") }
            return [.command(.switchModel(args[0] == "auto" ? nil : args[0]))]
        case "disable", "enable":
            guard args.count == 1 else { return usage(name) }
            return [.command(.setProviderEnabled(provider: args[0].lowercased(), enabled: name == "enable"))]
        case "quota":
            guard args.count == 3, let window = QuotaWindow(rawValue: args[1].lowercased()) ?? (args[1] == "hour" ? .hourly : args[1] == "day" ? .daily : nil) else { return usage("quota") }
            guard let amount = Double(args[2].hasPrefix("$") ? String(args[2].dropFirst()) : args[2]) else {
                state.status = ("quota: '\(args[2])' is not an amount in USD", true)
                return []
            }
            return [.command(.setQuota(provider: args[0].lowercased(), window: window, usd: amount))]
        case "persona":
            guard args.count == 1 else { return usage("persona") }
            return [.command(.setPersona(conversation: .console, persona: args[0] == "auto" ? nil : args[0]))]
        case "reset":
            state.streams[.console] = nil
            return [.command(.resetConversation(.console))]
        case "theme":
            guard args.count == 1 else { return usage("theme") }
            return [.loadTheme(args[0])]
        case "help":
            state.showHelp = true
            return []
        case "quit", "q":
            return perform(.quit, &state)
        default:
            let known = ConsoleCommands.all.map(\.name).joined(separator: ", ")
            state.status = ("unknown command ':\(name)' — commands: \(known)", true)
            return []
        }
    }

    // MARK: - Runtime events

    static func apply(_ event: Event, _ state: inout ConsoleState) {
        switch event {
        case .messageReceived(let message):
            upsertConversation(message.conversation, &state) { row in
                row.user = message.sender
                row.lastMessage = message.text
                row.updatedAt = message.at
                row.streaming = true
            }
            var stream = state.streams[message.conversation] ?? StreamView()
            stream.question = message.text
            stream.answer = ""
            stream.failed = false
            stream.streaming = true
            state.streams[message.conversation] = stream
            if state.selectedConversation == nil { state.selectedConversation = message.conversation }
        case .routeDecided(let route):
            state.streams[route.conversation, default: StreamView()].route = "\(route.provider) · \(route.reason)"
            upsertConversation(route.conversation, &state) { $0.model = route.model }
        case .streamDelta(let delta):
            state.streams[delta.conversation, default: StreamView()].answer += delta.text
            state.streams[delta.conversation, default: StreamView()].streaming = true
        case .streamRestarted(let restart):
            state.streams[restart.conversation, default: StreamView()].answer = ""
            state.status = ("answer restarted: \(restart.reason)", false)
        case .responseCompleted(let done):
            var stream = state.streams[done.conversation] ?? StreamView()
            stream.answer = done.text
            stream.streaming = false
            let seconds = Double(done.latency.components.seconds) + Double(done.latency.components.attoseconds) / 1e18
            stream.footer = String(format: "%d in / %d out tok · $%.4f · %.1fs%@", done.inputTokens, done.outputTokens, done.costUSD, seconds, done.fromCache ? " · cache" : "")
            state.streams[done.conversation] = stream
            upsertConversation(done.conversation, &state) { row in
                row.model = done.model
                row.costUSD += done.costUSD
                row.streaming = false
            }
        case .requestFailed(let failure):
            state.streams[failure.conversation, default: StreamView()].streaming = false
            state.streams[failure.conversation, default: StreamView()].failed = true
            state.streams[failure.conversation, default: StreamView()].footer = "failed: \(failure.message)"
            upsertConversation(failure.conversation, &state) { $0.streaming = false }
        case .providerStateChanged(let change):
            if let index = state.snapshot.providers.firstIndex(where: { $0.name == change.provider }) {
                state.snapshot.providers[index].enabled = change.enabled
                state.snapshot.providers[index].circuit = change.circuit
            }
        case .quotaChanged(let quota):
            if let index = state.snapshot.spend.firstIndex(where: { $0.provider == quota.provider && $0.window == quota.window }) {
                state.snapshot.spend[index].spent = quota.spentUSD
                state.snapshot.spend[index].limit = quota.limitUSD
            }
        case .cacheHit:
            break  // the next snapshot brings the new hit rate
        case .alert(let alert):
            state.alerts = Array(([alert] + state.alerts).prefix(keep))
            state.status = (alert.message, alert.severity != .info)
        case .errorLogged(let error):
            state.snapshot.errors = Array(([ErrorRow(at: error.at, source: error.source, message: error.message)] + state.snapshot.errors).prefix(keep))
        }
    }

    static func upsertConversation(_ id: ConversationID, _ state: inout ConsoleState, _ change: (inout ConversationRow) -> Void) {
        if let index = state.snapshot.conversations.firstIndex(where: { $0.id == id }) {
            change(&state.snapshot.conversations[index])
        } else {
            var row = ConversationRow(id: id, channel: id.rawValue.hasPrefix("tg:") ? "telegram" : id == .console ? "console" : "cli", user: "", updatedAt: state.now)
            change(&row)
            state.snapshot.conversations.append(row)
        }
    }

    /// A snapshot replaces the polled figures but keeps what only events know (streaming flags).
    static func merge(_ snapshot: ConsoleSnapshot, _ state: inout ConsoleState) {
        var merged = snapshot
        for index in merged.conversations.indices {
            let id = merged.conversations[index].id
            if let live = state.snapshot.conversations.first(where: { $0.id == id }) {
                // What only events know (model, last message, cost this session) survives the poll.
                merged.conversations[index].streaming = live.streaming
                if merged.conversations[index].updatedAt < live.updatedAt { merged.conversations[index].updatedAt = live.updatedAt }
                if merged.conversations[index].model.isEmpty { merged.conversations[index].model = live.model }
                if merged.conversations[index].lastMessage.isEmpty { merged.conversations[index].lastMessage = live.lastMessage }
                if merged.conversations[index].user.isEmpty { merged.conversations[index].user = live.user }
                merged.conversations[index].costUSD = max(merged.conversations[index].costUSD, live.costUSD)
            }
        }
        for live in state.snapshot.conversations where live.streaming && !merged.conversations.contains(where: { $0.id == live.id }) {
            merged.conversations.append(live)
        }
        state.snapshot = merged
    }
}

/// Tab completion of `:` command lines: command names, then models, providers, windows, personas, themes.
public enum ConsoleCompletion {
    public static func candidates(for line: String, state: ConsoleState) -> [String] {
        let words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        if words.count <= 1 { return ConsoleCommands.all.map(\.name) }
        let providers = state.snapshot.providers.map(\.name)
        switch (words[0], words.count) {
        case ("model", 2): return ["auto"] + state.knownModels
        case ("disable", 2), ("enable", 2), ("quota", 2): return providers
        case ("quota", 3): return ["hourly", "daily"]
        case ("persona", 2): return state.personas
        case ("theme", 2): return state.knownThemes
        default: return []
        }
    }

    /// The line with its last word completed as far as the candidates agree.
    public static func complete(_ line: String, state: ConsoleState) -> String {
        let words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        let partial = words.last ?? ""
        let matches = candidates(for: line, state: state).filter { $0.hasPrefix(partial) }
        guard let first = matches.first else { return line }
        var common = first
        for match in matches.dropFirst() {
            while !match.hasPrefix(common) { common.removeLast() }
        }
        let head = words.dropLast().joined(separator: " ")
        let completed = (head.isEmpty ? "" : head + " ") + common
        return matches.count == 1 ? completed + " " : completed
    }
}
