/// How a cell looks: colour roles from the theme and attributes.
public struct CellStyle: Sendable, Hashable {
    public var foreground: Theme.Role
    public var background: Theme.Role
    public var bold: Bool
    public var reverse: Bool

    public init(_ foreground: Theme.Role = .foreground, background: Theme.Role = .background, bold: Bool = false, reverse: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.reverse = reverse
    }

    public static let plain = CellStyle()
}

/// One terminal cell: a character (or nothing, for the right half of a wide one) and its style.
public struct Cell: Sendable, Hashable {
    /// The grapheme shown; empty for the second cell of a wide character.
    public var text: String
    public var style: CellStyle

    public static let blank = Cell(text: " ", style: .plain)
}

/// A screen's worth of cells: what `render` produces and the ncurses backend draws (only the cells
/// that changed since the last frame).
public struct Buffer: Sendable, Hashable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// Writes `text` from column `x` of row `y`, clipped at `x + maxWidth` (default: the right edge)
    /// with `…` when cut. A wide character takes two cells and is never split across the clip.
    /// Returns the columns used.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: CellStyle = .plain, maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(width - x, maxWidth ?? width - x)
        guard limit > 0 else { return 0 }
        let flat = text.contains("\n") ? text.replacingOccurrences(of: "\n", with: " ") : text
        let shown = DisplayWidth.truncate(flat, to: limit)
        var column = x
        for character in shown {
            let w = DisplayWidth.of(character)
            guard w > 0 else { continue }
            guard column + w <= x + limit else { break }
            if column >= 0 {
                self[column, y] = Cell(text: String(character), style: style)
                if w == 2 { self[column + 1, y] = Cell(text: "", style: style) }
            }
            column += w
        }
        return column - x
    }

    /// Fills a rectangle with spaces of `style`.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, style: CellStyle) {
        for row in max(0, y)..<min(height, y + h) {
            for column in max(0, x)..<min(width, x + w) { self[column, row] = Cell(text: " ", style: style) }
        }
    }

    /// A box with a title in its top border.
    public mutating func box(x: Int, y: Int, width w: Int, height h: Int, title: String, focused: Bool) {
        guard w >= 2, h >= 2 else { return }
        let style = CellStyle(focused ? .borderFocused : .border, bold: focused)
        put("┌" + String(repeating: "─", count: w - 2) + "┐", x: x, y: y, style: style)
        for row in (y + 1)..<(y + h - 1) {
            put("│", x: x, y: row, style: style)
            put("│", x: x + w - 1, y: row, style: style)
        }
        put("└" + String(repeating: "─", count: w - 2) + "┘", x: x, y: y + h - 1, style: style)
        if !title.isEmpty && w > 4 {
            put(" \(title) ", x: x + 1, y: y, style: CellStyle(focused ? .borderFocused : .title, bold: true), maxWidth: w - 2)
        }
    }

    /// The rows as plain text (wide characters once, their second cell skipped), for tests.
    public var lines: [String] {
        (0..<height).map { row in
            (0..<width).map { self[$0, row].text }.joined()
        }
    }
}
