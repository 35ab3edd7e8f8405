import Core
import Foundation
import Testing

@testable import Console

@Suite struct RenderTests {
    static let start = Date(timeIntervalSince1970: 1_795_960_740)

    static func state(width: Int = 160, height: Int = 48) -> ConsoleState {
        var state = ConsoleState(width: width, height: height, startedAt: start)
        state.now = start.addingTimeInterval(3 * 3600 + 12 * 60)
        state.snapshot = ConsoleSnapshot(
            providers: [
                ProviderRow(name: "openai", configured: true, enabled: true, circuit: .closed, latencyMilliseconds: 412),
                ProviderRow(name: "anthropic", configured: true, enabled: true, circuit: .closed, latencyMilliseconds: 388),
                ProviderRow(name: "local", configured: true, enabled: false, circuit: .closed),
            ],
            spend: [
                SpendLine(provider: "openai", window: .hourly, spent: 2.3, limit: 5), SpendLine(provider: "openai", window: .daily, spent: 11.9, limit: 100),
                SpendLine(provider: "anthropic", window: .hourly, spent: 4.6, limit: 5), SpendLine(provider: nil, window: .daily, spent: 17.9, limit: 150),
            ],
            todaySpend: 4.82,
            conversations: [
                ConversationRow(id: .telegram(chat: 1), channel: "telegram", user: "@ana", model: "claude-3-haiku", updatedAt: start.addingTimeInterval(3 * 3600 + 11 * 60)),
                ConversationRow(id: .console, channel: "console", user: "operator", model: "gpt-4o-mini", costUSD: 0.0004, updatedAt: start),
            ],
            errors: [ErrorRow(at: start.addingTimeInterval(60), source: "openai", message: "429 rate limited, retry in 2s")],
            cacheHitRate: 0.234, cacheSavedUSD: 1.12, cacheEntries: 1204)
        return state
    }

    /// The whole 80×24 screen, line by line (as ratatui's `assert_buffer_lines` compares): a
    /// panel a column off, a border that does not close, a figure cut in half fails here. At this
    /// width the spend and cache panels give way, and the top line drops uptime and Telegram's
    /// state whole rather than cutting "$150.00" (it showed "$150.? help" before).
    @Test func theWholeSmallScreenIsExactlyThis() {
        let expected = [
            " Switchboard ── live ── today $4.82 of $150.00 ── 0 alerts               ? help ",
            "┌ Providers · auto routing ────────────────────────────────────────────────────┐",
            "│ ● openai       closed           412 ms                                       │",
            "│ ● anthropic    closed           388 ms                                       │",
            "│ ○ local        disabled                                                      │",
            "└──────────────────────────────────────────────────────────────────────────────┘",
            "┌ Conversations (2) ───────────────────────────────────────────────────────────┐",
            "│  tg:1 @ana                                claude-3-haiku          1m         │",
            "│  console                                  gpt-4o-mini          3h12m $0.0004 │",
            "│                                                                              │",
            "└──────────────────────────────────────────────────────────────────────────────┘",
            "┌ Conversation ────────────────────────────────────────────────────────────────┐",
            "│ select a conversation (Enter) or test-chat (c)                               │",
            "│                                                                              │",
            "└──────────────────────────────────────────────────────────────────────────────┘",
            "┌ Errors (1) ──────────────────────────────────────────────────────────────────┐",
            "│ 14:00:00 openai 429 rate limited, retry in 2s                                │",
            "│                                                                              │",
            "└──────────────────────────────────────────────────────────────────────────────┘",
            "┌ Test chat (console) · c to type ─────────────────────────────────────────────┐",
            "│ >                                                                            │",
            "└──────────────────────────────────────────────────────────────────────────────┘",
            "                                                                                ",
            " Tab next panel  ↑↓ select  Enter open  : command  / filter  c chat  p pin mode…",
        ]
        let lines = ConsoleRenderer.render(Self.state(width: 80, height: 24)).lines
        #expect(lines.count == expected.count)
        for (row, (line, want)) in zip(lines, expected).enumerated() {
            #expect(line == want, "row \(row)")
        }
    }

    @Test func theFullScreenShowsEveryPanel() {
        let lines = ConsoleRenderer.render(Self.state()).lines
        #expect(lines[0].hasPrefix(" Switchboard ── up 3h12m ── telegram: off ── live ── today $4.82 of $150.00 ── 0 alerts"))
        #expect(lines[0].hasSuffix("? help "))
        let screen = lines.joined(separator: "\n")
        for text in ["┌ Providers · auto routing", "● openai       closed", "412 ms", "○ local        disabled", "┌ Spend vs quota", "46% $2.30/$5.00",
                     "┌ Conversations (2)", "tg:1 @ana", "claude-3-haiku", "┌ Cache", "hit rate  23.4 %", "saved     $1.1200 today", "entries   1204",
                     "┌ Errors (1)", "openai 429 rate limited", "┌ Test chat (console)"] {
            #expect(screen.contains(text), "missing: \(text)")
        }
        #expect(lines[47].hasPrefix(" Tab next panel  ↑↓ select  Enter open  : command"))
    }

    @Test func barsTurnAtEightyAndAHundredPercent() {
        var buffer = Buffer(width: 60, height: 6)
        var state = Self.state()
        state.snapshot.spend = [
            SpendLine(provider: "a", window: .hourly, spent: 1, limit: 10), SpendLine(provider: "b", window: .hourly, spent: 8.5, limit: 10),
            SpendLine(provider: "c", window: .hourly, spent: 12, limit: 10),
        ]
        ConsoleRenderer.spendPanel(state, &buffer, x: 0, y: 0, width: 60, height: 5)
        let roles = (1...3).map { row in (0..<60).first { buffer[$0, row].text == "█" }.map { buffer[$0, row].style.foreground } }
        #expect(roles == [.barFilled, .warning, .critical])
    }

    @Test(arguments: [(160, 48), (120, 30), (100, 24), (80, 24), (60, 20)])
    func everySizeDrawsBordersThatCloseAndNothingOutside(width: Int, height: Int) {
        let buffer = ConsoleRenderer.render(Self.state(width: width, height: height))
        #expect(buffer.lines.count == height)
        #expect(buffer.lines.allSatisfy { DisplayWidth.of($0) <= width })
        let screen = buffer.lines.joined(separator: "\n")
        #expect(screen.contains("Providers") && screen.contains("Conversation") && screen.contains("Test chat"))
        // Every top-left corner has its top-right corner on the same row.
        for line in buffer.lines { #expect(line.filter { $0 == "┌" }.count == line.filter { $0 == "┐" }.count, "\(line)") }
    }

    @Test func belowTheMinimumItSaysHowLargeItNeedsToBe() {
        let lines = ConsoleRenderer.render(Self.state(width: 50, height: 10)).lines
        #expect(lines.contains { $0.contains("Terminal too small: 50×10, need at least 60×20") })
        #expect(!lines.joined().contains("┌"))
    }

    @Test func wideCharactersTakeTwoCellsAndNeverBreakABorder() {
        var state = Self.state(width: 100, height: 30)
        state.selectedConversation = .console
        state.streams[.console] = StreamView(question: "你好世界 👋🏽 emoji and CJK", answer: String(repeating: "答案很长 🚀 ", count: 40), route: "", footer: "", streaming: true)
        let buffer = ConsoleRenderer.render(state)
        for (row, line) in buffer.lines.enumerated() {
            #expect(DisplayWidth.of(line) <= 100, "row \(row) is \(DisplayWidth.of(line)) wide")
            if line.contains("答案") { #expect(line.hasSuffix("│"), "row \(row) lost its border: \(line)") }
        }
        #expect(buffer.lines.contains { $0.contains("▌") }, "the streaming cursor")
    }

    @Test func longTextIsCutWithAnEllipsisByDisplayWidth() {
        #expect(DisplayWidth.truncate("abcdef", to: 4) == "abc…")
        #expect(DisplayWidth.truncate("你好世界", to: 5) == "你好…")
        #expect(DisplayWidth.of("👋🏽") == 2)
        #expect(DisplayWidth.of("e\u{301}") == 1)
        #expect(DisplayWidth.of("👨‍👩‍👧") == 2)
        var buffer = Buffer(width: 5, height: 1)
        buffer.put("ab你好", x: 0, y: 0)
        #expect(buffer.lines == ["ab你…"])
    }

    @Test func theHelpOverlayListsEveryKeyAndCommand() {
        var state = Self.state()
        state.showHelp = true
        let screen = ConsoleRenderer.render(state).lines.joined(separator: "\n")
        for binding in KeyBindings.table { #expect(screen.contains(binding.summary), "\(binding.summary)") }
        for command in ConsoleCommands.all { #expect(screen.contains(command.usage), "\(command.usage)") }
    }
}
