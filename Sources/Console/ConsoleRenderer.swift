import Core
import Foundation

/// `render(state) -> Buffer`: the whole screen as cells, pure, so tests compare lines of text.
public enum ConsoleRenderer {
    /// Below this the screen says how large it needs to be instead of drawing garbage.
    public static let minimumWidth = 60
    public static let minimumHeight = 20
    /// From this width the screen has two columns.
    public static let twoColumnWidth = 100

    public static func render(_ state: ConsoleState) -> Buffer {
        var buffer = Buffer(width: state.width, height: state.height)
        guard state.width >= minimumWidth, state.height >= minimumHeight else {
            let message = "Terminal too small: \(state.width)×\(state.height), need at least \(minimumWidth)×\(minimumHeight)"
            buffer.put(message, x: 0, y: state.height / 2, style: CellStyle(.warning, bold: true))
            return buffer
        }
        topLine(state, &buffer)
        let body = (top: 1, height: state.height - 3)
        if state.width >= twoColumnWidth {
            let left = max(44, min(58, state.width * 36 / 100))
            leftColumn(state, &buffer, x: 0, width: left, top: body.top, height: body.height, compact: false)
            rightColumn(state, &buffer, x: left, width: state.width - left, top: body.top, height: body.height)
        } else {
            singleColumn(state, &buffer, top: body.top, height: body.height)
        }
        statusLine(state, &buffer)
        buffer.put(KeyBindings.hintBar, x: 1, y: state.height - 1, style: CellStyle(.muted))
        if state.showHelp { helpOverlay(state, &buffer) }
        if let error = state.openError { errorOverlay(error, &buffer) }
        return buffer
    }

    // MARK: - Lines

    static func topLine(_ state: ConsoleState, _ buffer: inout Buffer) {
        let global = state.snapshot.spend.first { $0.provider == nil }
        var parts = [
            "Switchboard", "up \(duration(state.now.timeIntervalSince(state.startedAt)))", "telegram: \(state.snapshot.telegram)",
            state.snapshot.demoMode ? (state.width >= 100 ? "demo mode (no provider key)" : "demo mode") : "live",
            String(format: "today $%.2f of $%.2f", state.snapshot.todaySpend, global?.limit ?? 0),
            "\(state.alerts.count) alert\(state.alerts.count == 1 ? "" : "s")",
        ]
        // Too narrow for all: whole parts go, the least telling first (uptime, then Telegram's
        // state), so no figure is ever cut in half and "? help" keeps its place.
        for dropped in [1, 1] where DisplayWidth.of(" " + parts.joined(separator: " ── ")) > state.width - 8 { parts.remove(at: dropped) }
        buffer.fill(x: 0, y: 0, width: state.width, height: 1, style: CellStyle(.title, background: .selectionBackground))
        buffer.put(" " + parts.joined(separator: " ── "), x: 0, y: 0, style: CellStyle(.title, background: .selectionBackground, bold: true), maxWidth: state.width - 8)
        buffer.put("? help ", x: state.width - 7, y: 0, style: CellStyle(.title, background: .selectionBackground))
    }

    static func statusLine(_ state: ConsoleState, _ buffer: inout Buffer) {
        let y = state.height - 2
        switch state.mode {
        case .command(let text):
            buffer.put(":" + text + "▏", x: 0, y: y, style: CellStyle(.accent, bold: true))
            let options = ConsoleCompletion.candidates(for: text, state: state).filter { $0.hasPrefix(text.split(separator: " ", omittingEmptySubsequences: false).last.map(String.init) ?? "") }
            if !options.isEmpty {
                let hint = "  Tab: " + options.prefix(8).joined(separator: " ")
                buffer.put(hint, x: DisplayWidth.of(text) + 3, y: y, style: CellStyle(.muted))
            }
        case .filter(let text):
            buffer.put("/" + text + "▏  (filtering \(state.focus.rawValue); Enter keeps, Esc clears)", x: 0, y: y, style: CellStyle(.accent))
        case .normal:
            if let status = state.status {
                buffer.put(status.text, x: 1, y: y, style: CellStyle(status.isError ? .critical : .ok, bold: status.isError))
            }
        }
    }

    // MARK: - Layouts

    static func leftColumn(_ state: ConsoleState, _ buffer: inout Buffer, x: Int, width: Int, top: Int, height: Int, compact: Bool) {
        let providersHeight = max(3, state.snapshot.providers.count + 2)
        providersPanel(state, &buffer, x: x, y: top, width: width, height: providersHeight)
        let spendHeight = min(max(3, state.snapshot.spend.count + 2), max(3, height - providersHeight - 5))
        spendPanel(state, &buffer, x: x, y: top + providersHeight, width: width, height: spendHeight)
        conversationsPanel(state, &buffer, x: x, y: top + providersHeight + spendHeight, width: width, height: height - providersHeight - spendHeight)
    }

    static func rightColumn(_ state: ConsoleState, _ buffer: inout Buffer, x: Int, width: Int, top: Int, height: Int) {
        let chatHeight = 3
        let lowerHeight = min(8, max(5, height / 4))
        let streamHeight = height - chatHeight - lowerHeight
        streamPanel(state, &buffer, x: x, y: top, width: width, height: streamHeight)
        let cacheWidth = min(32, width / 3)
        cachePanel(state, &buffer, x: x, y: top + streamHeight, width: cacheWidth, height: lowerHeight)
        errorsPanel(state, &buffer, x: x + cacheWidth, y: top + streamHeight, width: width - cacheWidth, height: lowerHeight)
        chatPanel(state, &buffer, x: x, y: top + height - chatHeight, width: width, height: chatHeight)
    }

    static func singleColumn(_ state: ConsoleState, _ buffer: inout Buffer, top: Int, height: Int) {
        let width = state.width
        let providersHeight = max(3, state.snapshot.providers.count + 2)
        let conversationsHeight = 5
        let chatHeight = 3
        let errorsHeight = 4
        let streamHeight = max(3, height - providersHeight - conversationsHeight - chatHeight - errorsHeight)
        var y = top
        providersPanel(state, &buffer, x: 0, y: y, width: width, height: providersHeight); y += providersHeight
        conversationsPanel(state, &buffer, x: 0, y: y, width: width, height: conversationsHeight); y += conversationsHeight
        streamPanel(state, &buffer, x: 0, y: y, width: width, height: streamHeight); y += streamHeight
        errorsPanel(state, &buffer, x: 0, y: y, width: width, height: errorsHeight); y += errorsHeight
        chatPanel(state, &buffer, x: 0, y: y, width: width, height: chatHeight)
    }

    // MARK: - Panels

    static func providersPanel(_ state: ConsoleState, _ buffer: inout Buffer, x: Int, y: Int, width: Int, height: Int) {
        let pin = state.snapshot.pinnedModel.map { "pin \($0)" } ?? "auto routing"
        buffer.box(x: x, y: y, width: width, height: height, title: "Providers · \(pin)", focused: state.focus == .providers)
        let rows = state.visibleProviders
        let selected = state.selection[.providers] ?? 0
        for (index, provider) in rows.prefix(height - 2).enumerated() {
            let usable = provider.configured && provider.enabled && provider.circuit != .open
            let dot = usable ? "●" : "○"
            let stateText = !provider.configured ? "not configured" : !provider.enabled ? "disabled" : provider.circuit.rawValue
            let latency = provider.latencyMilliseconds.map { "\($0) ms" } ?? ""
            let line = "\(dot) \(DisplayWidth.pad(provider.name, to: 12)) \(DisplayWidth.pad(stateText, to: 14)) \(DisplayWidth.pad(latency, to: 8, alignRight: true))"
            let highlighted = state.focus == .providers && index == selected
            let color: Theme.Role = !usable ? (provider.enabled ? .critical : .muted) : .ok
            buffer.put(line, x: x + 2, y: y + 1 + index, style: highlighted ? CellStyle(.selectionForeground, background: .selectionBackground, bold: true) : CellStyle(color), maxWidth: width - 4)
        }
    }

    static func spendPanel(_ state: ConsoleState, _ buffer: inout Buffer, x: Int, y: Int, width: Int, height: Int) {
        buffer.box(x: x, y: y, width: width, height: height, title: "Spend vs quota", focused: false)
        let barWidth = max(5, width - 40)
        for (index, line) in state.snapshot.spend.prefix(height - 2).enumerated() {
            let name = line.provider ?? "global"
            let label = DisplayWidth.pad(index > 0 && state.snapshot.spend[index - 1].provider == line.provider ? "" : name, to: 10)
            let ratio = line.limit > 0 ? line.spent / line.limit : (line.spent > 0 ? 1 : 0)
            let filled = min(barWidth, Int((ratio * Double(barWidth)).rounded()))
            let role: Theme.Role = ratio >= 1 ? .critical : ratio >= 0.8 ? .warning : .barFilled
            var column = x + 2
            column += buffer.put("\(label) \(line.window == .hourly ? "hour" : "day ") ", x: column, y: y + 1 + index, style: CellStyle(.foreground))
            column += buffer.put(String(repeating: "█", count: filled), x: column, y: y + 1 + index, style: CellStyle(role))
            column += buffer.put(String(repeating: "░", count: barWidth - filled), x: column, y: y + 1 + index, style: CellStyle(.barEmpty))
            let figures = String(format: " %3.0f%% $%.2f/$%@", ratio * 100, line.spent, compactMoney(line.limit))
            buffer.put(figures, x: column, y: y + 1 + index, style: CellStyle(role == .barFilled ? .foreground : role), maxWidth: x + width - 1 - column)
        }
    }

    static func conversationsPanel(_ state: ConsoleState, _ buffer: inout Buffer, x: Int, y: Int, width: Int, height: Int) {
        let rows = state.visibleConversations
        let filter = state.filters[.conversations].map { " · /\($0)" } ?? ""
        buffer.box(x: x, y: y, width: width, height: height, title: "Conversations (\(rows.count))\(filter)", focused: state.focus == .conversations)
        let selected = state.selection[.conversations] ?? 0
        let visible = max(0, height - 2)
        let start = max(0, min(selected - visible + 1, rows.count - visible))
        for (offset, row) in rows.dropFirst(start).prefix(visible).enumerated() {
            let index = start + offset
            let marker = row.id == state.selectedConversation ? "▶" : " "
            let age = row.streaming ? "streaming" : duration(state.now.timeIntervalSince(row.updatedAt))
            let cost = row.costUSD > 0 ? String(format: "$%.4f", row.costUSD) : ""
            let nameWidth = max(8, width - 40)
            let line = "\(marker) \(DisplayWidth.pad(label(row), to: nameWidth)) \(DisplayWidth.pad(row.model, to: 16)) \(DisplayWidth.pad(age, to: 9, alignRight: true)) \(cost)"
            let highlighted = state.focus == .conversations && index == selected
            buffer.put(line, x: x + 1, y: y + 1 + offset, style: highlighted ? CellStyle(.selectionForeground, background: .selectionBackground) : CellStyle(row.streaming ? .accent : .foreground), maxWidth: width - 2)
        }
        if rows.isEmpty {
            buffer.put("no conversations yet — press c to test-chat", x: x + 2, y: y + 1, style: CellStyle(.muted), maxWidth: width - 4)
        }
    }

    static func label(_ row: ConversationRow) -> String {
        if row.id == .console { return "console" }
        return row.user.isEmpty ? row.id.rawValue : "\(row.id.rawValue) \(row.user)"
    }

    static func streamPanel(_ state: ConsoleState, _ buffer: inout Buffer, x: Int, y: Int, width: Int, height: Int) {
        let id = state.selectedConversation
        let row = state.snapshot.conversations.first { $0.id == id }
        let title = id.map { "Conversation · \($0.rawValue)" + (row.map { $0.model.isEmpty ? "" : " · \($0.model)" } ?? "") } ?? "Conversation"
        buffer.box(x: x, y: y, width: width, height: height, title: title, focused: false)
        guard let id, let stream = state.streams[id] else {
            buffer.put("select a conversation (Enter) or test-chat (c)", x: x + 2, y: y + 1, style: CellStyle(.muted), maxWidth: width - 4)
            return
        }
        let inner = width - 4
        var lines: [(String, CellStyle)] = []
        for (index, line) in wrap(stream.question, width: inner - 5).enumerated() {
            lines.append(((index == 0 ? "you  " : "     ") + line, CellStyle(.accent)))
        }
        // Only the end of a long answer can be in view: wrap the last few screens of it.
        let tailLimit = max(2_000, (width * height) * 2)
        let shownAnswer = stream.answer.count > tailLimit ? "…" + String(stream.answer.suffix(tailLimit)) : stream.answer
        let answer = shownAnswer + (stream.streaming ? "▌" : "")
        for (index, line) in wrap(answer, width: inner - 5).enumerated() {
            lines.append(((index == 0 ? "bot  " : "     ") + line, CellStyle(stream.failed ? .critical : .foreground)))
        }
        let footer = [stream.route.isEmpty ? nil : "route: " + stream.route, stream.footer.isEmpty ? nil : stream.footer].compactMap { $0 }
        let room = height - 2 - footer.count
        // The newest text stays in view as the answer grows.
        for (offset, line) in lines.suffix(max(0, room)).enumerated() {
            buffer.put(line.0, x: x + 2, y: y + 1 + offset, style: line.1, maxWidth: inner)
        }
        for (offset, line) in footer.enumerated() {
            buffer.put(line, x: x + 2, y: y + height - 1 - footer.count + offset, style: CellStyle(.muted), maxWidth: inner)
        }
    }

    static func cachePanel(_ state: ConsoleState, _ buffer: inout Buffer, x: Int, y: Int, width: Int, height: Int) {
        buffer.box(x: x, y: y, width: width, height: height, title: "Cache", focused: false)
        let lines = [
            String(format: "hit rate  %.1f %%", state.snapshot.cacheHitRate * 100),
            String(format: "saved     $%.4f today", state.snapshot.cacheSavedUSD),
            "entries   \(state.snapshot.cacheEntries)",
        ]
        for (index, line) in lines.prefix(height - 2).enumerated() {
            buffer.put(line, x: x + 2, y: y + 1 + index, style: CellStyle(.foreground), maxWidth: width - 4)
        }
    }

    static func errorsPanel(_ state: ConsoleState, _ buffer: inout Buffer, x: Int, y: Int, width: Int, height: Int) {
        let errors = state.visibleErrors
        buffer.box(x: x, y: y, width: width, height: height, title: "Errors (\(errors.count))", focused: state.focus == .errors)
        let selected = state.selection[.errors] ?? 0
        for (index, error) in errors.prefix(height - 2).enumerated() {
            let line = "\(clock(error.at)) \(error.source) \(error.message)"
            let highlighted = state.focus == .errors && index == selected
            buffer.put(line, x: x + 2, y: y + 1 + index, style: highlighted ? CellStyle(.selectionForeground, background: .selectionBackground) : CellStyle(.critical), maxWidth: width - 4)
        }
        if errors.isEmpty { buffer.put("no errors", x: x + 2, y: y + 1, style: CellStyle(.muted), maxWidth: width - 4) }
    }

    static func chatPanel(_ state: ConsoleState, _ buffer: inout Buffer, x: Int, y: Int, width: Int, height: Int) {
        let focused = state.focus == .chat
        buffer.box(x: x, y: y, width: width, height: height, title: focused ? "Test chat (console) · Enter send · Esc leave" : "Test chat (console) · c to type", focused: focused)
        let input = "> " + state.chatInput + (focused ? "▏" : "")
        // Long input scrolls: the end (where the cursor is) stays visible.
        let room = width - 4
        var shown = input
        while DisplayWidth.of(shown) > room, !shown.isEmpty { shown.removeFirst() }
        buffer.put(shown, x: x + 2, y: y + 1, style: CellStyle(focused ? .foreground : .muted))
    }

    static func helpOverlay(_ state: ConsoleState, _ buffer: inout Buffer) {
        var lines = ["Keys"] + KeyBindings.table.map { "  \(DisplayWidth.pad($0.label, to: 6)) \($0.summary)" }
        lines += ["", "Commands (Tab completes)"] + ConsoleCommands.all.map { "  \(DisplayWidth.pad($0.usage, to: 34)) \($0.summary)" }
        lines += ["", "Esc or ? closes this help"]
        let width = min(buffer.width - 4, 80)
        let height = min(buffer.height - 2, lines.count + 2)
        let x = (buffer.width - width) / 2, y = (buffer.height - height) / 2
        buffer.fill(x: x, y: y, width: width, height: height, style: .plain)
        buffer.box(x: x, y: y, width: width, height: height, title: "Help", focused: true)
        for (index, line) in lines.prefix(height - 2).enumerated() {
            buffer.put(line, x: x + 2, y: y + 1 + index, style: CellStyle(index == 0 || line.hasPrefix("Commands") ? .title : .foreground, bold: index == 0), maxWidth: width - 4)
        }
    }

    static func errorOverlay(_ error: ErrorRow, _ buffer: inout Buffer) {
        let width = min(buffer.width - 4, 90)
        let text = wrap("\(error.source): \(error.message)", width: width - 4)
        let height = min(buffer.height - 2, text.count + 3)
        let x = (buffer.width - width) / 2, y = (buffer.height - height) / 2
        buffer.fill(x: x, y: y, width: width, height: height, style: .plain)
        buffer.box(x: x, y: y, width: width, height: height, title: "Error · Esc closes", focused: true)
        for (index, line) in text.prefix(height - 2).enumerated() {
            buffer.put(line, x: x + 2, y: y + 1 + index, style: CellStyle(.foreground), maxWidth: width - 4)
        }
    }

    // MARK: - Text

    /// Word-wraps by display width; words longer than a line are cut into pieces. Linear: each
    /// character's width is measured once.
    public static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            var lineWidth = 0
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: false) {
                var wordWidth = 0
                for character in word { wordWidth += DisplayWidth.of(character) }
                if wordWidth > width {
                    // A word longer than a line: cut it into line-sized pieces.
                    if lineWidth > 0 { lines.append(line); line = ""; lineWidth = 0 }
                    var piece = ""
                    var pieceWidth = 0
                    for character in word {
                        let w = DisplayWidth.of(character)
                        if pieceWidth + w > width && !piece.isEmpty {
                            lines.append(piece)
                            piece = ""
                            pieceWidth = 0
                        }
                        piece.append(character)
                        pieceWidth += w
                    }
                    line = piece
                    lineWidth = pieceWidth
                    continue
                }
                let needed = lineWidth == 0 && line.isEmpty ? wordWidth : lineWidth + 1 + wordWidth
                if needed > width {
                    lines.append(line)
                    line = String(word)
                    lineWidth = wordWidth
                } else {
                    if !(lineWidth == 0 && line.isEmpty) { line.append(" ") }
                    line += word
                    lineWidth = needed
                }
            }
            lines.append(line)
        }
        return lines
    }

    /// `HH:mm:ss` in UTC, without a DateFormatter (which costs more than the rest of a frame).
    static func clock(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down)) % 86_400
        return String(format: "%02d:%02d:%02d", seconds / 3600, (seconds % 3600) / 60, seconds % 60)
    }

    static func duration(_ seconds: TimeInterval) -> String {
        let s = max(0, Int(seconds))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86_400 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
        return "\(s / 86_400)d"
    }

    static func compactMoney(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : value >= 10 ? String(format: "%.1f", value) : String(format: "%.2f", value)
    }
}
