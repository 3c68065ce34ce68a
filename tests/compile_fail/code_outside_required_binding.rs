// Patient.gender has a required binding to administrative-gender: a code
// outside it is not a value of the enum.
use us_core_6_1_0::r4::AdministrativeGender;

fn main() {
    let _gender = AdministrativeGender::Woman;
}
