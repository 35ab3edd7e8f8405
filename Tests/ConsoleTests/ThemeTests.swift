import Foundation
import Testing

@testable import Console

@Suite struct ThemeTests {
    static let themesDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("themes").path

    @Test func missingKeysFallBackToTheDefaultTheme() throws {
        let theme = try Theme.parse(toml: "name = \"mine\"\n[colors]\naccent = \"#ff0000\"\n", name: "mine")
        #expect(theme.name == "mine")
        #expect(theme[.accent] == RGB(255, 0, 0))
        #expect(theme[.background] == Theme.default[.background])
    }

    @Test(arguments: [
        ("[colors\naccent = 1", "not valid TOML"),
        ("[colors]\naccnet = \"#ffffff\"", "unknown colour 'accnet'"),
        ("[colors]\naccent = \"red\"", "colors.accent must be"),
        ("colors = 3", "must be a table"),
    ])
    func brokenThemesAreClearErrors(text: String, expected: String) {
        do {
            _ = try Theme.parse(toml: text, name: "broken")
            Issue.record("accepted a broken theme")
        } catch {
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test func everyShippedThemeLoads() throws {
        let names = Theme.available(in: Self.themesDirectory)
        #expect(names.contains("default"))
        for name in names {
            let theme = try Theme.load(named: name, from: Self.themesDirectory)
            #expect(Theme.Role.allCases.allSatisfy { theme.colors[$0] != nil })
        }
        #expect(try Theme.load(named: "default", from: Self.themesDirectory) == Theme.default)
    }

    @Test func unknownAndUnsafeThemeNamesAreRefused() {
        #expect(throws: ThemeError.self) { try Theme.load(named: "nope", from: Self.themesDirectory) }
        #expect(throws: ThemeError.self) { try Theme.load(named: "../etc/passwd", from: Self.themesDirectory) }
    }

    @Test(arguments: [
        (RGB(0, 0, 0), 16, 0), (RGB(255, 255, 255), 231, 7), (RGB(255, 0, 0), 196, 1),
        (RGB(0x80, 0x80, 0x80), 244, 7), (RGB(0x30, 0x30, 0x30), 236, 0), (RGB(0, 0, 255), 21, 4),
        (RGB(0xeb, 0xcb, 0x8b), 186, 3), (RGB(0x88, 0xc0, 0xd0), 110, 6),
    ])
    func trueColourDegradesTo256And8(color: RGB, xterm: Int, ansi: Int) {
        #expect(color.xterm256Index == xterm)
        #expect(color.ansi8Index == ansi)
    }

    @Test func hexRoundTrips() {
        #expect(RGB(hex: "#88c0d0")?.description == "#88c0d0")
        #expect(RGB(hex: "88C0D0") == RGB(0x88, 0xc0, 0xd0))
        #expect(RGB(hex: "#12345") == nil)
    }
}
