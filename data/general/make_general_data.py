"""Write the project's general-capability data (original text, written for this project; MIT like the code).

    python data/general/make_general_data.py     # rewrites text.jsonl and sequences.jsonl deterministically

text.jsonl       short paragraphs for rolling log-likelihood (perplexity of plain English prose)
sequences.jsonl  "continue the list" prompts with one correct next item (short generation, exact match)
Both are used by the specificity matrix: do a task's neurons also move general ability?
"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

PARAGRAPHS = [
    "The bakery on the corner opens before sunrise. By six o'clock the windows are fogged with steam, and a line of "
    "people in heavy coats waits outside for the first loaves. The baker knows most of them by name and remembers who "
    "likes the crust dark and who wants the bread sliced.",
    "A small river runs along the edge of the town. In spring it rises quickly after the snow melts in the hills, and "
    "the footbridge near the school is sometimes closed for a week. Children walk the long way around, past the old "
    "mill, and arrive at class with muddy boots.",
    "Learning to ride a bicycle takes patience more than strength. Most people fall a few times before they find their "
    "balance. Once the body learns to make small corrections without thinking, the skill stays for life, even after "
    "years without practice.",
    "The library moved into a new building last year. It has wide tables, quiet rooms for study, and a reading corner "
    "for young children with cushions on the floor. On rainy afternoons every seat is taken, and the librarians extend "
    "the opening hours.",
    "Tomatoes grow best in warm, sunny places with regular water. Gardeners tie the stems to wooden sticks so the heavy "
    "fruit does not pull the plants to the ground. In late summer there are often more tomatoes than one family can eat, "
    "so neighbours trade them for beans and squash.",
    "The train to the coast leaves every hour. The journey takes a little under two hours and passes through farmland, "
    "a long tunnel and a row of small stations where only a few passengers get on. On clear days the sea appears "
    "suddenly, just before the last stop.",
    "Good soup starts with onions cooked slowly in a little oil. Carrots, celery and a few herbs follow, then water or "
    "stock. After an hour on a low flame the kitchen smells of it, and a piece of bread is all that is needed to make "
    "a meal.",
    "The museum keeps its oldest maps in a dark room at a steady temperature. Visitors may see them only with a guide, "
    "and only for a few minutes, because light fades the ink. Copies of the maps hang in the main hall for everyone to "
    "study.",
    "Every autumn the birds gather on the wires above the field. For several days they seem restless, flying up "
    "together and settling again. Then one morning the wires are empty, and the birds are on their way south for the "
    "winter.",
    "A clock repairer needs steady hands and good light. The parts inside an old watch are tiny, and a single lost "
    "spring can stop the whole mechanism. The repairer works slowly, laying each piece on a cloth in the order it was "
    "removed.",
    "The football club trains on Tuesday and Thursday evenings. New players are welcome at any age. The coach starts "
    "every session with a slow run around the pitch, then practice with the ball, and ends with a short game between "
    "two teams.",
    "Snow fell all night, and in the morning the streets were white and silent. Buses ran late, schools opened two "
    "hours later than usual, and the hill behind the church filled with children pulling sledges up and sliding down "
    "again.",
    "Writing a letter by hand has become rare. Yet many people keep the letters they received years ago in a box, and "
    "reading them again brings back the voice of the writer more clearly than any message on a screen.",
    "The market sells fruit, vegetables, cheese and fresh fish. Prices fall in the last hour before closing, when the "
    "sellers would rather not carry their goods home. Careful shoppers wait until then, although the best pieces are "
    "often gone.",
    "Bees visit thousands of flowers to make a single spoonful of honey. They return to the hive and pass the nectar "
    "from one bee to another, and the water slowly evaporates. A strong hive can produce many jars in a good summer.",
    "The village holds a music festival in the first week of July. Bands play on a wooden stage in the square, and "
    "families bring blankets and food. The last concert ends after midnight, and the streets stay busy until the "
    "early morning.",
    "A map is only useful if you know where you are on it. Hikers learn to match the lines on the paper with the "
    "shape of the hills around them, a stream here, a steep slope there, until they can point to their place with "
    "confidence.",
    "The old lighthouse no longer guides ships. A modern light on a metal tower took its place years ago. The stone "
    "building is now a small museum, and from the top visitors can see the whole bay and, on a clear day, the islands "
    "beyond it.",
    "Rice is cooked in different ways around the world. Some people rinse it many times, some never rinse it at all. "
    "Some boil it in plenty of water and pour the rest away, others measure exactly the water the rice will absorb.",
    "The new bridge was built in two years. Engineers first tested the ground under the river, then raised tall "
    "supports on each bank. When the last section was lifted into place, hundreds of people came to watch from the "
    "shore.",
    "A cat sleeps for most of the day, often in the warmest place in the house. In the evening it becomes lively, "
    "chasing shadows across the floor and jumping onto the windowsill to watch the street below.",
    "The school garden is looked after by the pupils. Each class has a small bed of soil where it grows herbs, "
    "lettuce or flowers. In June the school holds a sale, and the money buys seeds and tools for the next year.",
    "Rain in the mountains can arrive very quickly. Clouds gather over the peaks in the afternoon, the wind turns "
    "cold, and within minutes the path becomes slippery. Experienced walkers start early and turn back before the "
    "weather changes.",
    "Bread, butter and a pot of tea were on the table when the guests arrived. They had travelled all day and were "
    "tired, but after the meal they sat by the fire and talked until late about the places they had seen.",
]

SEQUENCES = []
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
NUMBERS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"]
LETTERS = list("ABCDEFGHIJ")


def add(items, start, kind):
    shown = [items[(start + i) % len(items)] for i in range(3)]
    SEQUENCES.append(
        {
            "kind": kind,
            "prompt": "Continue the list with the next item: " + ", ".join(shown) + ",",
            "answer": items[(start + 3) % len(items)],
        }
    )


for start in range(7):
    add(DAYS, start, "days")
for start in range(0, 12, 1):
    add(MONTHS, start, "months")
for start in range(8):
    add(NUMBERS, start, "number words")
for start in range(5):
    add(ORDINALS, start, "ordinals")
for start in range(6):
    add(LETTERS, start, "letters")
for first, step in ((1, 1), (11, 1), (2, 2), (10, 10), (5, 5), (3, 3), (100, 100), (20, 20)):
    numbers = [str(first + step * i) for i in range(4)]
    SEQUENCES.append(
        {
            "kind": "numbers",
            "prompt": "Continue the list with the next item: " + ", ".join(numbers[:3]) + ",",
            "answer": numbers[3],
        }
    )


def main() -> None:
    with open(HERE / "text.jsonl", "w", encoding="utf-8") as handle:
        for i, text in enumerate(PARAGRAPHS):
            handle.write(json.dumps({"id": f"text-{i}", "text": text}, ensure_ascii=False) + "\n")
    with open(HERE / "sequences.jsonl", "w", encoding="utf-8") as handle:
        for i, item in enumerate(SEQUENCES):
            handle.write(json.dumps({"id": f"seq-{i}", **item}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
