// component:systolic holds the systolic slice's type; a diastolic component
// is another type.
use us_core_6_1_0::{UsCoreBloodPressureProfile, UsCoreBloodPressureProfileComponentDiastolic};

fn main() {
    let diastolic = UsCoreBloodPressureProfileComponentDiastolic::builder().build();
    let _builder = UsCoreBloodPressureProfile::builder().component_systolic(diastolic);
}
