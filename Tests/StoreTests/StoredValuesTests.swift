import Foundation
import GRDB
import Testing

@testable import Store

@Suite struct StoredValuesTests {
    /// Rows written on the request path must compare and read like rows GRDB writes itself.
    @Test func datesAreFormattedExactlyAsGRDBStoresThem() throws {
        var dates = [
            Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 0.9999), Date(timeIntervalSince1970: 951_782_400),  // 2000-02-29
            Date(timeIntervalSince1970: 4_107_542_399.999), Date(timeIntervalSince1970: 1_798_761_599.9995),  // 2100-02-28, 2026-12-31
            Date(timeIntervalSinceReferenceDate: 0), Date(),
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            dates.append(Date(timeIntervalSince1970: Double.random(in: 0..<5_000_000_000, using: &generator)))
        }
        for date in dates {
            let grdb = try #require(String.fromDatabaseValue(date.databaseValue))
            #expect(StoredValues.text(date) == grdb, "\(date.timeIntervalSince1970)")
        }
    }

    @Test func storedTextReadsBackAsTheSameMillisecond() throws {
        let date = Date(timeIntervalSince1970: 1_764_633_600.123)
        let read = try #require(Date.fromDatabaseValue(StoredValues.value(date)))
        #expect(abs(read.timeIntervalSince1970 - 1_764_633_600.123) < 0.0005)
    }
}
