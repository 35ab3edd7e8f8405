import Foundation
import Testing

@testable import Core

@Suite struct FormattingTests {
    /// Routing reasons and stats print money with these; they must read exactly as printf would.
    @Test func fixedDecimalsMatchPrintfExactly() {
        var values: [Double] = [0, -0.0, 0.125, 0.375, 2.5, 0.005, 0.015, 0.285, 0.295, 1.005, 1.015, 0.00005, 0.00015, 123_456.785, -0.0012, -3.14159, 1e12 + 0.5]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let magnitude = [1e-6, 1e-3, 1, 1e3, 1e6][Int.random(in: 0..<5, using: &generator)]
            values.append(Double.random(in: -magnitude...magnitude, using: &generator))
            // Values on a half-cent or half-hundredth-of-a-cent boundary, as sums of prices make.
            values.append(Double(Int.random(in: 0..<100_000, using: &generator)) / 200)
            values.append(Double(Int.random(in: 0..<100_000, using: &generator)) / 20_000)
        }
        for value in values {
            for places in [0, 2, 4, 6] {
                #expect(Formatting.fixed(value, places: places) == String(format: "%.\(places)f", value), "\(value) to \(places) places")
            }
        }
    }

    @Test func utcDaysMatchTheGregorianCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SystemRandomNumberGenerator()
        var dates = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 951_868_799), Date(timeIntervalSince1970: 951_868_800), Date(timeIntervalSince1970: -1)]
        for _ in 0..<5_000 { dates.append(Date(timeIntervalSince1970: Double.random(in: -2_000_000_000...5_000_000_000, using: &generator))) }
        for date in dates {
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            #expect(Formatting.utcDay(date) == String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!), "\(date.timeIntervalSince1970)")
        }
    }
}
