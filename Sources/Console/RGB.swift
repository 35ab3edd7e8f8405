/// A colour as red, green and blue, and its nearest equivalents on terminals with fewer colours.
public struct RGB: Sendable, Hashable, CustomStringConvertible {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    /// Creates a colour.
    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// Parses `#rrggbb` (or `rrggbb`); `nil` when malformed.
    public init?(hex: String) {
        let digits = hex.hasPrefix("#") ? hex.dropFirst() : Substring(hex)
        guard digits.count == 6, let value = UInt32(digits, radix: 16) else { return nil }
        self.init(UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF))
    }

    public var description: String {
        "#" + [red, green, blue].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// The levels of the xterm 6×6×6 colour cube.
    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// The nearest of the 256 xterm colours (the colour cube or the grey ramp).
    public var xterm256Index: Int {
        func nearestLevel(_ value: UInt8) -> Int {
            Self.cubeLevels.indices.min { abs(Self.cubeLevels[$0] - Int(value)) < abs(Self.cubeLevels[$1] - Int(value)) } ?? 0
        }
        let (r, g, b) = (nearestLevel(red), nearestLevel(green), nearestLevel(blue))
        let cube = RGB(UInt8(Self.cubeLevels[r]), UInt8(Self.cubeLevels[g]), UInt8(Self.cubeLevels[b]))
        let average = (Int(red) + Int(green) + Int(blue)) / 3
        let greyStep = min(23, max(0, (average - 8 + 5) / 10))
        let greyLevel = UInt8(8 + greyStep * 10)
        let grey = RGB(greyLevel, greyLevel, greyLevel)
        return distance(to: grey) < distance(to: cube) ? 232 + greyStep : 16 + 36 * r + 6 * g + b
    }

    /// The closest of the 8 basic ANSI colours (0 black, 1 red, 2 green, 3 yellow, 4 blue,
    /// 5 magenta, 6 cyan, 7 white): greys go to black or white by brightness, other colours keep
    /// the channels that stand above their own midpoint, so hue survives the degradation.
    public var ansi8Index: Int {
        let channels = [Int(red), Int(green), Int(blue)]
        let high = channels.max() ?? 0, low = channels.min() ?? 0
        guard high - low >= Self.minimumChroma else {
            return (high + low) / 2 > 127 ? 7 : 0
        }
        let middle = (high + low) / 2
        return channels.enumerated().reduce(0) { index, channel in
            channel.element > middle ? index | (1 << channel.offset) : index
        }
    }

    /// Below this spread between channels a colour counts as grey.
    static let minimumChroma = 40

    func distance(to other: RGB) -> Int {
        let dr = Int(red) - Int(other.red), dg = Int(green) - Int(other.green), db = Int(blue) - Int(other.blue)
        return dr * dr + dg * dg + db * db
    }
}
