import Foundation
import TOMLKit

/// The console's colours, by role. Loaded from `themes/NAME.toml`; a key the file leaves out keeps
/// the default theme's colour.
public struct Theme: Sendable, Hashable {
    /// The colour roles a theme sets, as named in the TOML files' `[colors]` table.
    public enum Role: String, Sendable, CaseIterable {
        case background, foreground, muted, border
        case borderFocused = "border_focused"
        case title, accent, ok, warning, critical
        case selectionBackground = "selection_background"
        case selectionForeground = "selection_foreground"
        case barFilled = "bar_filled"
        case barEmpty = "bar_empty"
    }

    /// The theme's name.
    public var name: String
    /// A colour per role.
    public var colors: [Role: RGB]

    /// The colour of `role` (every role has one: missing keys fall back to the default theme).
    public subscript(role: Role) -> RGB {
        colors[role] ?? Theme.default.colors[role] ?? RGB(255, 255, 255)
    }

    /// The built-in theme, also shipped as `themes/default.toml`.
    public static let `default` = Theme(name: "default", colors: [
        .background: RGB(0x1c, 0x1f, 0x26), .foreground: RGB(0xd8, 0xde, 0xe9), .muted: RGB(0x7b, 0x84, 0x96),
        .border: RGB(0x4c, 0x56, 0x6a), .borderFocused: RGB(0x88, 0xc0, 0xd0), .title: RGB(0xec, 0xef, 0xf4),
        .accent: RGB(0x81, 0xa1, 0xc1), .ok: RGB(0xa3, 0xbe, 0x8c), .warning: RGB(0xeb, 0xcb, 0x8b),
        .critical: RGB(0xbf, 0x61, 0x6a), .selectionBackground: RGB(0x3b, 0x42, 0x52),
        .selectionForeground: RGB(0xec, 0xef, 0xf4), .barFilled: RGB(0x88, 0xc0, 0xd0), .barEmpty: RGB(0x3b, 0x42, 0x52),
    ])
}

/// Why a theme file could not be used; the console shows it on the status line and uses the default.
public struct ThemeError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

extension Theme {
    /// Parses the text of a theme file. Unknown roles and malformed colours are errors naming the key.
    public static func parse(toml text: String, name: String) throws(ThemeError) -> Theme {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ThemeError(message: "theme '\(name)' is not valid TOML (line \(error.source.begin.line)): \(error.description)")
        } catch {
            throw ThemeError(message: "theme '\(name)' is not valid TOML: \(error)")
        }
        var theme = Theme(name: table["name"]?.string ?? name, colors: Theme.default.colors)
        guard let colors = table["colors"] else { return theme }
        guard let colorTable = colors.table else {
            throw ThemeError(message: "theme '\(name)': [colors] must be a table of role = \"#rrggbb\"")
        }
        for (key, value) in colorTable {
            guard let role = Role(rawValue: key) else {
                let roles = Role.allCases.map(\.rawValue).joined(separator: ", ")
                throw ThemeError(message: "theme '\(name)': unknown colour '\(key)' (known: \(roles))")
            }
            guard let hex = value.string, let color = RGB(hex: hex) else {
                throw ThemeError(message: "theme '\(name)': colors.\(key) must be \"#rrggbb\"")
            }
            theme.colors[role] = color
        }
        return theme
    }

    /// Loads `NAME.toml` from `directory`.
    public static func load(named name: String, from directory: String) throws(ThemeError) -> Theme {
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), !name.isEmpty else {
            throw ThemeError(message: "theme name '\(name)' may contain only letters, digits, - and _")
        }
        let path = directory + "/" + name + ".toml"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ThemeError(message: "theme '\(name)' not found (looked for \(path))")
        }
        return try parse(toml: String(decoding: data, as: UTF8.self), name: name)
    }

    /// The names of the themes in `directory`, sorted.
    public static func available(in directory: String) -> [String] {
        // A directory that cannot be read offers no themes; the built-in theme remains.
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(".toml".count)) }.sorted()
    }
}
