import CNcursesw
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Why the console cannot start, said plainly.
public struct TerminalError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// What the terminal can show.
public enum ColorMode: String, Sendable {
    case trueColor = "true colour", palette256 = "256 colours", palette8 = "8 colours", monochrome = "no colour"
}

/// The ncurses screen. Every call must come from the one thread that owns the console.
///
/// `@unchecked Sendable`: it is created and used only on the console's own thread; the type is
/// Sendable only so that thread's closure can hold it.
final class NcursesTerminal: @unchecked Sendable {
    private var window: UnsafeMutablePointer<WINDOW>?
    private var pairs: [PairKey: Int16] = [:]
    private var previous: Buffer?
    private(set) var colorMode: ColorMode = .monochrome
    private var theme: Theme

    struct PairKey: Hashable {
        let foreground: Theme.Role
        let background: Theme.Role
    }

    init(theme: Theme) {
        self.theme = theme
    }

    /// Checks that standard input and output are a terminal ncurses can drive.
    static func checkUsable(environment: [String: String]) throws(TerminalError) {
        guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
            throw TerminalError(message: "the console needs an interactive terminal (standard input and output are not one); run the bot without it with `switchboard run`")
        }
        let term = environment["TERM"] ?? ""
        guard !term.isEmpty, term != "dumb" else {
            throw TerminalError(message: "TERM is \(term.isEmpty ? "not set" : "'dumb'"): the console needs a terminal with cursor control (e.g. TERM=xterm-256color); run the bot without it with `switchboard run`")
        }
    }

    func start(noColor: Bool) throws(TerminalError) {
        setlocale(LC_ALL, "")
        if let codeset = nl_langinfo(nl_item(CODESET)), String(cString: codeset) != "UTF-8" {
            setlocale(LC_ALL, "C.UTF-8")
        }
        setenv("ESCDELAY", "25", 0)
        guard let screen = initscr() else { throw TerminalError(message: "ncurses could not initialise the terminal") }
        window = screen
        raw()
        noecho()
        keypad(screen, true)
        curs_set(0)
        wtimeout(screen, 16)
        if !noColor && has_colors() {
            start_color()
            use_default_colors()
            let colors = sb_COLORS()
            colorMode = colors >= 0x1000000 ? .trueColor : colors >= 256 ? .palette256 : colors >= 8 ? .palette8 : .monochrome
        }
    }

    func stop() {
        guard window != nil else { return }
        curs_set(1)
        endwin()
        window = nil
    }

    var size: (width: Int, height: Int) {
        guard let window else { return (0, 0) }
        return (Int(sb_getmaxx(window)), Int(sb_getmaxy(window)))
    }

    func setTheme(_ theme: Theme) {
        self.theme = theme
        pairs = [:]
        previous = nil
        if let window { wclear(window) }
    }

    /// The next key, or `nil` after the read timeout.
    func readKey() -> TerminalInput? {
        guard let window else { return nil }
        var character: wint_t = 0
        let result = wget_wch(window, &character)
        if result == sb_ERR() { return nil }
        if result == sb_KEY_CODE_YES() {
            switch Int32(character) {
            case sb_KEY_RESIZE(): return .resize
            case sb_KEY_UP(): return .key(.up)
            case sb_KEY_DOWN(): return .key(.down)
            case sb_KEY_LEFT(): return .key(.left)
            case sb_KEY_RIGHT(): return .key(.right)
            case sb_KEY_BACKSPACE(): return .key(.backspace)
            case sb_KEY_ENTER(): return .key(.enter)
            case sb_KEY_BTAB(): return .key(.backTab)
            case sb_KEY_HOME(): return .key(.home)
            case sb_KEY_END(): return .key(.end)
            case sb_KEY_NPAGE(): return .key(.pageDown)
            case sb_KEY_PPAGE(): return .key(.pageUp)
            case sb_KEY_DC(): return .key(.delete)
            default: return nil
            }
        }
        switch character {
        case 3: return .key(.controlC)
        case 9: return .key(.tab)
        case 10, 13: return .key(.enter)
        case 27: return .key(.escape)
        case 8, 127: return .key(.backspace)
        default:
            guard let scalar = Unicode.Scalar(UInt32(character)), character >= 32 else { return nil }
            return .key(.character(Character(scalar)))
        }
    }

    /// Draws the cells that changed since the last frame.
    func draw(_ buffer: Buffer) {
        guard let window else { return }
        let full = previous == nil || previous?.width != buffer.width || previous?.height != buffer.height
        if full { werase(window) }
        for y in 0..<buffer.height {
            for x in 0..<buffer.width {
                let cell = buffer[x, y]
                if !full, let previous, previous[x, y] == cell { continue }
                guard !cell.text.isEmpty else { continue }  // the right half of a wide character
                // The last cell of the screen cannot be written without scrolling; leave it blank.
                if x == buffer.width - 1 && y == buffer.height - 1 { continue }
                var attributes = cell.style.bold ? sb_A_BOLD() : sb_A_NORMAL()
                if cell.style.reverse || (colorMode == .monochrome && cell.style.background == .selectionBackground) { attributes |= sb_A_REVERSE() }
                let pair = colorMode == .monochrome ? 0 : pairFor(cell.style)
                var wide = Array(cell.text.unicodeScalars.map { wchar_t(bitPattern: $0.value) }) + [0]
                _ = sb_put_cell(window, Int32(y), Int32(x), &wide, attributes, pair)
            }
        }
        wrefresh(window)
        previous = buffer
    }

    private func pairFor(_ style: CellStyle) -> Int16 {
        let key = PairKey(foreground: style.foreground, background: style.background)
        if let pair = pairs[key] { return pair }
        let pair = Int16(pairs.count + 1)
        init_extended_pair(Int32(pair), color(theme[style.foreground]), style.background == .background ? -1 : color(theme[style.background]))
        pairs[key] = pair
        return pair
    }

    private func color(_ rgb: RGB) -> Int32 {
        switch colorMode {
        case .trueColor: Int32(rgb.red) << 16 | Int32(rgb.green) << 8 | Int32(rgb.blue)
        case .palette256: Int32(rgb.xterm256Index)
        case .palette8, .monochrome: Int32(rgb.ansi8Index)
        }
    }
}

/// What the terminal reports.
enum TerminalInput: Sendable, Hashable {
    case key(Key)
    case resize
}
