"poly: one send site, shape area, meeting three kinds of receiver in turn
 (square, rectangle, triangle), 1,000,000 times. Prints the sum of the areas."
lobby _AddSlots: ( |
    square = ( | parent* = traits clonable. side <- 3. area = ( side * side ) | ).
    rectangle = ( | parent* = traits clonable. width <- 2. height <- 5. area = ( width * height ) | ).
    triangle = ( | parent* = traits clonable. base <- 4. height <- 7. area = ( (base * height) / 2 ) | ).
    polyLoop: n = ( | shapes. total <- 0 |
        shapes: (vector copySize: 3).
        shapes at: 0 Put: square clone.
        shapes at: 1 Put: rectangle clone.
        shapes at: 2 Put: triangle clone.
        0 to: n - 1 Do: [|:i| total: total + (shapes at: i % 3) area].
        total ).
| ).
(polyLoop: 1000000) printLine.
