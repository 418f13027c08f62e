package auth

import "testing"

func TestActorIsThePersonWhenTheKeyNamesOne(t *testing.T) {
	if got := (Caller{Name: "apiKeys/1", Person: "alice@example.com"}).Actor(); got != "alice@example.com" {
		t.Errorf("actor with a person = %q", got)
	}
	if got := (Caller{Name: "apiKeys/1"}).Actor(); got != "apiKeys/1" {
		t.Errorf("actor without a person = %q", got)
	}
	if got := System.Actor(); got != "system" {
		t.Errorf("system actor = %q", got)
	}
}
