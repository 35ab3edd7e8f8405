/// What a key does in normal mode. One table drives dispatch, the hint bar and the `?` overlay.
public enum ConsoleAction: String, Sendable, CaseIterable {
    case focusNext, focusPrevious, selectUp, selectDown, open, commandLine, filter, chat, pinModel, toggleProvider, theme, help, quit
}

public struct KeyBinding: Sendable {
    public let keys: [Key]
    /// How the key is written in the hint bar and the help.
    public let label: String
    public let action: ConsoleAction
    public let summary: String
    /// Whether the hint bar shows it (the help overlay shows every binding).
    public let inHintBar: Bool
}

public enum KeyBindings {
    public static let table: [KeyBinding] = [
        KeyBinding(keys: [.tab], label: "Tab", action: .focusNext, summary: "next panel", inHintBar: true),
        KeyBinding(keys: [.backTab], label: "S-Tab", action: .focusPrevious, summary: "previous panel", inHintBar: false),
        KeyBinding(keys: [.up, .character("k")], label: "↑↓", action: .selectUp, summary: "select", inHintBar: true),
        KeyBinding(keys: [.down, .character("j")], label: "↓", action: .selectDown, summary: "select down", inHintBar: false),
        KeyBinding(keys: [.enter], label: "Enter", action: .open, summary: "open", inHintBar: true),
        KeyBinding(keys: [.character(":")], label: ":", action: .commandLine, summary: "command", inHintBar: true),
        KeyBinding(keys: [.character("/")], label: "/", action: .filter, summary: "filter", inHintBar: true),
        KeyBinding(keys: [.character("c")], label: "c", action: .chat, summary: "chat", inHintBar: true),
        KeyBinding(keys: [.character("p")], label: "p", action: .pinModel, summary: "pin model", inHintBar: true),
        KeyBinding(keys: [.character("d")], label: "d", action: .toggleProvider, summary: "disable/enable provider", inHintBar: true),
        KeyBinding(keys: [.character("t")], label: "t", action: .theme, summary: "theme", inHintBar: true),
        KeyBinding(keys: [.character("?")], label: "?", action: .help, summary: "help", inHintBar: true),
        KeyBinding(keys: [.character("q"), .controlC], label: "q", action: .quit, summary: "quit", inHintBar: true),
    ]

    public static func action(for key: Key) -> ConsoleAction? {
        table.first { $0.keys.contains(key) }?.action
    }

    /// The bottom line: the bindings marked for it.
    public static var hintBar: String {
        table.filter(\.inHintBar).map { "\($0.label) \($0.summary)" }.joined(separator: "  ")
    }
}

/// The `:` commands, for dispatch, completion and help.
public enum ConsoleCommands {
    public static let all: [(name: String, usage: String, summary: String)] = [
        ("model", ":model NAME|auto", "pin every request to a model, or route automatically"),
        ("disable", ":disable PROVIDER", "keep the router away from a provider"),
        ("enable", ":enable PROVIDER", "let the router use a provider again"),
        ("quota", ":quota PROVIDER hourly|daily USD", "change a provider's quota"),
        ("persona", ":persona STYLE|auto", "persona of the test chat"),
        ("reset", ":reset", "forget the test chat's conversation"),
        ("theme", ":theme NAME", "switch colour theme"),
        ("help", ":help", "show keys and commands"),
        ("quit", ":quit", "leave the console"),
    ]
}
