"Psyche core world: time, with Self's names.

 A time is a day (days since 1970-01-01, UTC) and a msec (milliseconds
 since that day's midnight, UTC, from 0 to msecPerDay - 1). time current
 reads the wall clock; copyMsec: and copyDay:Msec: make any other time.
 The components come from _DateTime: in local time (year, month, date,
 weekday, hour, minute, second, yearday) and in UTC (the same names
 ending in GMT). Months count from 1, weekdays from 0 (Sunday), yeardays
 from 0 (January 1st).

 Arithmetic is in milliseconds, by Self's double dispatch: t2 - t1 is
 the milliseconds from t1 to t2, so t - time origin is the milliseconds
 since 1970; t + 1000 and t - 1000 are times a second later and earlier.
 Times compare with < = and friends and hash by their instant.

 Self prints a time in local time; Psyche prints ISO 8601 in UTC
 (2024-03-05T14:03:07.123Z), the same on every machine and sorted as
 text the way it is in time. Time is not deterministic: the clock is read
 when current runs, like printing, outside the world's transactions."

traits time _AddSlots: ( |
    msecPerDay = 86400000.

    "creating"
    current = ( | t |
        t: _TimeReal.
        copyDay: (t at: 0) Msec: (t at: 1) ).
    origin = ( copyDay: 0 Msec: 0 ).
    "m may be any number of milliseconds; whole days move into the day"
    copyDay: d Msec: m = ( copy initDay: d Msec: m ).
    copyMsec: ms = ( copyDay: 0 Msec: ms ).
    initDay: d Msec: m = (
        day: d + (m / msecPerDay).
        msec: m % msecPerDay.
        (msec < 0) ifTrue: [
            day: day - 1.
            msec: msec + msecPerDay].
        self ).

    "arithmetic (see the integer side: addTime:, subtractTime:)"
    + x = ( x addTime: self ).
    - x = ( x subtractTime: self ).
    addMsec: ms = ( copyDay: day Msec: msec + ms ).
    subtractMsec: ms = ( copyDay: day Msec: msec - ms ).
    addTime: t = ( error: 'adding two times is not defined' ).
    "t - self, in milliseconds"
    subtractTime: t = ( ((t day - day) * msecPerDay) + (t msec - msec) ).

    "comparing"
    = t = ( (day = t day) && [msec = t msec] ).
    hash = ( ((day * msecPerDay) + msec) hash ).
    < t = ( (day < t day) || [(day = t day) && [msec < t msec]] ).
    > t = ( t < self ).
    <= t = ( (t < self) not ).
    >= t = ( (self < t) not ).

    "components (see the comment at the top)"
    dateTime = ( day _DateTime: msec ).
    year = ( dateTime at: 0 ).
    month = ( dateTime at: 1 ).
    date = ( dateTime at: 2 ).
    weekday = ( dateTime at: 3 ).
    hour = ( dateTime at: 4 ).
    minute = ( dateTime at: 5 ).
    second = ( dateTime at: 6 ).
    yearday = ( dateTime at: 7 ).
    yearGMT = ( dateTime at: 9 ).
    monthGMT = ( dateTime at: 10 ).
    dateGMT = ( dateTime at: 11 ).
    weekdayGMT = ( dateTime at: 12 ).
    hourGMT = ( dateTime at: 13 ).
    minuteGMT = ( dateTime at: 14 ).
    secondGMT = ( dateTime at: 15 ).
    yeardayGMT = ( dateTime at: 16 ).
    monthNames = ( 'January February March April May June July August September October November December' asTokensSeparatedByWhiteSpace ).
    weekdayNames = ( 'Sunday Monday Tuesday Wednesday Thursday Friday Saturday' asTokensSeparatedByWhiteSpace ).
    monthName = ( monthNames at: month - 1 ).
    weekdayName = ( weekdayNames at: weekday ).

    "printing: ISO 8601 in UTC, to the millisecond"
    printString = ( | dt |
        dt: dateTime.
        ((dt at: 9) printStringPadWith0ToSize: 4) , '-' ,
        ((dt at: 10) printStringPadWith0ToSize: 2) , '-' ,
        ((dt at: 11) printStringPadWith0ToSize: 2) , 'T' ,
        ((dt at: 13) printStringPadWith0ToSize: 2) , ':' ,
        ((dt at: 14) printStringPadWith0ToSize: 2) , ':' ,
        ((dt at: 15) printStringPadWith0ToSize: 2) , '.' ,
        ((msec % 1000) printStringPadWith0ToSize: 3) , 'Z' ).
| ).
