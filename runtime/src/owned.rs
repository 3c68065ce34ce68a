//! Boxed resources whose drop code is compiled once, in the crate that defines
//! them.
//!
//! Dropping a `Resource` enum would otherwise instantiate the drop code of
//! every resource and datatype in each program that drops one (470 kB of
//! machine code, several seconds of LLVM on every rebuild). `Owned<T>` drops
//! its content by calling `T::drop_boxed`, an ordinary function compiled in
//! the generated crate.

use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

/// A type whose boxed values are dropped by a function compiled where the type
/// is defined. Generated resources implement it.
pub trait DropOutOfLine: Sized {
    fn drop_boxed(boxed: Box<Self>);
}

/// A boxed `T` (a resource held by the `Resource` enum). Dereferences to `T`.
///
/// The box sits in a `ManuallyDrop` so that no drop code for `T` is generated
/// where an `Owned<T>` is dropped: only the call to `T::drop_boxed`.
pub struct Owned<T: DropOutOfLine>(Option<ManuallyDrop<Box<T>>>);

const PRESENT: &str = "an Owned value is present until it is dropped";

impl<T: DropOutOfLine> Owned<T> {
    pub fn new(value: T) -> Self {
        Self::from_box(Box::new(value))
    }

    pub fn from_box(boxed: Box<T>) -> Self {
        Self(Some(ManuallyDrop::new(boxed)))
    }

    /// The value, out of its box.
    pub fn into_inner(self) -> T {
        *self.into_box()
    }

    pub fn into_box(mut self) -> Box<T> {
        ManuallyDrop::into_inner(self.0.take().expect(PRESENT))
    }
}

impl<T: DropOutOfLine> Drop for Owned<T> {
    fn drop(&mut self) {
        if let Some(boxed) = self.0.take() {
            T::drop_boxed(ManuallyDrop::into_inner(boxed));
        }
    }
}

impl<T: DropOutOfLine> Deref for Owned<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0.as_ref().expect(PRESENT)
    }
}

impl<T: DropOutOfLine> DerefMut for Owned<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.as_mut().expect(PRESENT)
    }
}

impl<T: DropOutOfLine + Clone> Clone for Owned<T> {
    fn clone(&self) -> Self {
        Self::new(T::clone(self))
    }
}

impl<T: DropOutOfLine + fmt::Debug> fmt::Debug for Owned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        T::fmt(self, f)
    }
}

impl<T: DropOutOfLine + PartialEq> PartialEq for Owned<T> {
    fn eq(&self, other: &Self) -> bool {
        T::eq(self, other)
    }
}

impl<T: DropOutOfLine> From<T> for Owned<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    thread_local! {
        static DROPS: Cell<usize> = const { Cell::new(0) };
    }

    #[derive(Debug, Clone, PartialEq)]
    struct Counted(u8);

    impl DropOutOfLine for Counted {
        fn drop_boxed(boxed: Box<Self>) {
            DROPS.with(|d| d.set(d.get() + 1));
            drop(boxed);
        }
    }

    #[test]
    fn drops_once_through_drop_boxed_and_not_when_taken_out() {
        DROPS.with(|d| d.set(0));
        let owned = Owned::new(Counted(7));
        assert_eq!(Counted::clone(&owned), Counted(7));
        let copy = owned.clone();
        assert_eq!(owned, copy);
        drop(owned);
        assert_eq!(DROPS.with(Cell::get), 1);
        let inner = copy.into_inner();
        assert_eq!(inner, Counted(7));
        assert_eq!(
            DROPS.with(Cell::get),
            1,
            "into_inner hands the value over without dropping it"
        );
    }
}
