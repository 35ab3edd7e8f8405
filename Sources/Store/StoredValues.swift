import Foundation
import GRDB
import GRDBSQLite

/// Statement arguments for the writes on every request's path (usage rows, cache entries, error
/// lines), bound without the costs of GRDB's general conversions: no existential boxes or key
/// paths, and dates formatted directly instead of through a `DateFormatter`.
enum StoredValues {
    /// `date` exactly as GRDB stores a `Date` (`yyyy-MM-dd HH:mm:ss.SSS`, UTC, milliseconds
    /// rounded to the nearest), so rows written here and rows written through GRDB compare and read alike.
    static func text(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (days, dayMillis) = floorDivision(millis, 86_400_000)
        let (year, month, day) = civil(fromDays: days)
        let seconds = dayMillis / 1000
        var bytes: [UInt8] = []
        bytes.reserveCapacity(23)
        func append(_ value: Int64, width: Int) {
            let end = bytes.count + width
            bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
            var rest = value
            for index in stride(from: end - 1, through: end - width, by: -1) {
                bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
        }
        append(year, width: 4)
        bytes.append(UInt8(ascii: "-"))
        append(month, width: 2)
        bytes.append(UInt8(ascii: "-"))
        append(day, width: 2)
        bytes.append(UInt8(ascii: " "))
        append(seconds / 3600, width: 2)
        bytes.append(UInt8(ascii: ":"))
        append(seconds / 60 % 60, width: 2)
        bytes.append(UInt8(ascii: ":"))
        append(seconds % 60, width: 2)
        bytes.append(UInt8(ascii: "."))
        append(dayMillis % 1000, width: 3)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A date as a database value, in GRDB's format.
    static func value(_ date: Date) -> DatabaseValue { text(date).databaseValue }

    /// A value, or NULL.
    static func value<Value: DatabaseValueConvertible>(_ value: Value?) -> DatabaseValue { value?.databaseValue ?? .null }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = value / divisor - (value % divisor < 0 ? 1 : 0)
        return (quotient, value - quotient * divisor)
    }

    /// Year, month and day of the proleptic Gregorian calendar from days since 1970-01-01
    /// (Howard Hinnant's `civil_from_days`).
    private static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
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
}

extension Statement {
    /// Runs this statement (an insert, update or delete) with `values` bound in order, straight
    /// through SQLite: GRDB's argument handling cost more than SQLite's own work for these rows.
    ///
    /// The statement is reset first and, afterwards, reset with its bindings cleared, so GRDB and
    /// this method can take turns with it.
    func run(_ values: [DatabaseValue], in db: Database) throws {
        let handle = sqliteStatement
        // GRDB resets a statement before it runs it, not after: it may still be at its end.
        sqlite3_reset(handle)
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        guard values.count == Int(sqlite3_bind_parameter_count(handle)) else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "\(values.count) values for \(sqlite3_bind_parameter_count(handle)) parameters", sql: sql)
        }
        for (index, value) in values.enumerated() {
            let code = value.bind(to: handle, at: CInt(index + 1))
            guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage, sql: sql) }
        }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage, sql: sql) }
    }
}
