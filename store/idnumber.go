package store

import (
	"fmt"
	"time"
)

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// IDCheckDigit returns the GB 11643 (ISO 7064 MOD 11-2) check character for
// the first 17 digits of a resident ID number.
func IDCheckDigit(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fmt.Errorf("need 17 digits, have %d", len(first17))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("character %d is not a digit", i+1)
		}
		sum += int(c-'0') * idWeights[i]
	}
	return idCheckChars[sum%11], nil
}

// ValidateIDNumber checks an 18-character resident ID number (GB 11643):
// 17 digits, a valid birth date, and the check character (0-9 or upper-case X).
// It returns the birth date as YYYY-MM-DD and the gender (M for an odd
// sequence digit, F for even). Errors are *FieldError on field id_number.
func ValidateIDNumber(id string) (birth string, gender string, err error) {
	if len(id) != 18 {
		return "", "", fieldErr("id_number", "length", "ID number must have 18 characters")
	}
	want, err := IDCheckDigit(id[:17])
	if err != nil {
		return "", "", fieldErr("id_number", "format", "ID number: the first 17 characters must be digits")
	}
	if id[17] != want {
		return "", "", fieldErr("id_number", "check_digit", "ID number check digit is wrong")
	}
	t, perr := time.Parse("20060102", id[6:14])
	if perr != nil || t.Year() < 1900 {
		return "", "", fieldErr("id_number", "birth_date", "ID number holds no valid birth date")
	}
	gender = "F"
	if (id[16]-'0')%2 == 1 {
		gender = "M"
	}
	// What t.Format("2006-01-02") gives (the digits were just parsed as
	// that date), without formatting: every node checks every new child.
	return id[6:10] + "-" + id[10:12] + "-" + id[12:14], gender, nil
}
