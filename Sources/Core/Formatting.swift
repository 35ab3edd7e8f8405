public import Foundation

/// Day and money texts made with integer arithmetic: `Calendar`, `DateFormatter` and
/// `String(format:)` cost microseconds a call, and routing and the request-path writes make
/// dozens of these texts a request.
public enum Formatting {
    /// `YYYY-MM-DD` of the UTC day that holds `date`.
    public static func utcDay(_ date: Date) -> String {
        let (days, _) = floorDivision(Int64(date.timeIntervalSince1970.rounded(.down)), 86_400)
        return String(unsafeUninitializedCapacity: 10) { bytes in
            var index = 0
            writeDay(days, into: bytes, at: &index)
            return index
        }
    }

    /// Writes `YYYY-MM-DD` of the day `days` after 1970-01-01 at `index`, moving `index` past it.
    public static func writeDay(_ days: Int64, into bytes: UnsafeMutableBufferPointer<UInt8>, at index: inout Int) {
        let (year, month, day) = civil(fromDays: days)
        writeDigits(year, width: 4, into: bytes, at: &index)
        bytes[index] = UInt8(ascii: "-")
        index += 1
        writeDigits(month, width: 2, into: bytes, at: &index)
        bytes[index] = UInt8(ascii: "-")
        index += 1
        writeDigits(day, width: 2, into: bytes, at: &index)
    }

    /// `value` with `places` decimals (0…6), exactly as `String(format: "%.<places>f", value)`
    /// writes it: rounded to nearest on the value's exact binary expansion, ties to even.
    public static func fixed(_ value: Double, places: Int) -> String {
        precondition((0...6).contains(places), "places must be 0…6")
        let scale = pow(10, Double(places))
        let magnitude = abs(value)
        let product = magnitude * scale
        guard value.isFinite, product < 9.0e15 else { return String(format: "%.\(places)f", value) }
        var rounded = product.rounded(.toNearestOrEven)
        if product - product.rounded(.down) == 0.5 {
            // The product may have been rounded onto a tie: the exact remainder of the
            // multiplication says which way the true value lies.
            let error = fma(magnitude, scale, -product)
            if error < 0 { rounded = product.rounded(.down) } else if error > 0 { rounded = product.rounded(.up) }
        }
        // Written backwards into a stack buffer: at most 16 digits, a point and a sign, so the
        // result is usually a small string and formatting allocates nothing.
        var units = UInt64(rounded)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            var start = buffer.count
            func put(_ byte: UInt8) {
                start -= 1
                buffer[start] = byte
            }
            for _ in 0..<places {
                put(UInt8(ascii: "0") + UInt8(units % 10))
                units /= 10
            }
            if places > 0 { put(UInt8(ascii: ".")) }
            repeat {
                put(UInt8(ascii: "0") + UInt8(units % 10))
                units /= 10
            } while units > 0
            if value.sign == .minus { put(UInt8(ascii: "-")) }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[start...]), as: UTF8.self)
        }
    }

    /// Year, month and day of the proleptic Gregorian calendar from days since 1970-01-01
    /// (Howard Hinnant's `civil_from_days`).
    public static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// `value / divisor` rounded toward negative infinity, and the (non-negative) remainder.
    public static func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = value / divisor - (value % divisor < 0 ? 1 : 0)
        return (quotient, value - quotient * divisor)
    }

    /// Writes `value` (non-negative) as exactly `width` digits, zero-padded, at `index`, moving
    /// `index` past them. Texts are written straight into their strings' storage.
    public static func writeDigits(_ value: Int64, width: Int, into bytes: UnsafeMutableBufferPointer<UInt8>, at index: inout Int) {
        var rest = value
        for offset in stride(from: width - 1, through: 0, by: -1) {
            bytes[index + offset] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        index += width
    }
}
