package model

import "testing"

func TestAdminStateText(t *testing.T) {
	t.Parallel()
	for _, a := range []AdminState{AdminUnknown, AdminReady, AdminDrain, AdminMaint} {
		b, err := a.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back AdminState
		if err := back.UnmarshalText(b); err != nil || back != a {
			t.Errorf("%v: round trip gave %v, %v", a, back, err)
		}
	}
	if _, err := ParseAdminState("drained"); err == nil {
		t.Error(`ParseAdminState("drained") succeeded`)
	}
	if var0 := (Backend{}).Admin; var0 != AdminUnknown {
		t.Errorf("zero Backend.Admin = %v, want unknown", var0)
	}
}
